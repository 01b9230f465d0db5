#ifndef KETENHUB_SERVER_POLICY_LIFECYCLE_H_
#define KETENHUB_SERVER_POLICY_LIFECYCLE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/signal.pb.h"

// The life of a stored signal: matchable for its match window from receipt,
// then archived; destroyed once its retention has passed. The policy fixes
// both lengths when the signal is received (they are stored with it), so a
// later policy never shortens or lengthens a signal's life. Every rule about
// these times lives here; storage, routing and the service call it. Pure
// functions, thread-safe.
namespace ketenhub::lifecycle {

// What a signal's life depends on.
struct Lifetime {
  absl::Time received;
  uint32_t match_window_days = 0;
  uint32_t retention_days = 0;  // 0: kept until erased
};

// When the match window ends: received + match_window_days × 24 h.
absl::Time ArchiveTime(const Lifetime& life);

// Whether a signal takes part in matching at `now`: not withdrawn, and its
// match window not yet ended (it still is at ArchiveTime itself).
bool IsMatchable(const Lifetime& life, bool withdrawn, absl::Time now);

// Whether it is archived at `now`: past its match window.
bool IsArchived(const Lifetime& life, absl::Time now);

// When retention destroys it (received + retention_days × 24 h), or nullopt
// when it has no retention.
std::optional<absl::Time> DestroyTime(const Lifetime& life);

// Whether retention destroys it at `now` (at DestroyTime or later).
bool RetentionDue(const Lifetime& life, absl::Time now);

// The rule a retention destruction is recorded under, the same for a dry
// run and a real one: "retention: CATEGORY_... after N days".
std::string RetentionRule(v1::Category category, uint32_t retention_days);

// Whether a new signal from `partner` about a person makes a match worth
// telling: at least one other partner has a matchable signal about them and
// `partner` had none. `matchable_partners` are the partners with a
// matchable signal before this one.
bool IsNewMatch(const absl::flat_hash_set<std::string>& matchable_partners,
                absl::string_view partner);

}  // namespace ketenhub::lifecycle

#endif  // KETENHUB_SERVER_POLICY_LIFECYCLE_H_
