#ifndef KETENHUB_SERVER_ROUTING_RELEASE_H_
#define KETENHUB_SERVER_ROUTING_RELEASE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/policy/access_policy.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// The signal as `receiver` may see it under `policy`: metadata, subject,
// summary and contact, and each section released or withheld by the route's
// rule for its kind (two-stage kinds count as released once Release was
// recorded). Police (Wpg) sections carry no_onward_sharing. NOT_FOUND when no
// current route carries the signal to `receiver`, so a reload that drops a
// route also stops disclosure. Thread-safe.
absl::StatusOr<v1::ReleasedSignal> ReleaseFor(
    const v1::storage::StoredSignal& signal, const AccessPolicy& policy,
    absl::string_view receiver);

// The route that carries `signal` to `receiver` under `policy`: NOT_FOUND
// when none does (also when `receiver` is not among the signal's receivers),
// FAILED_PRECONDITION when the signal is destroyed, in that order, so that
// its state does not leak. Needs only the signal's metadata (source,
// category, receivers, state), not its content. Thread-safe.
absl::StatusOr<const v1::Route*> RouteFor(
    const v1::storage::StoredSignal& signal, const AccessPolicy& policy,
    absl::string_view receiver);

// What an event is about, for its delivery's audit record: the signal ids
// and the subject's key (empty when its signal is gone).
struct EventAbout {
  std::vector<std::string> signal_ids;
  std::string subject_key;
};

// The event as `receiver` sees it, or nullopt when current routes no longer
// carry its signal to `receiver`; fills `about` (not null) either way. Reads
// each event's first signal once, decrypting it only for a "received" event;
// a "received" event's signal may come `read` already (from GetSignals). A
// match names only the signals current routes carry to `receiver` (their
// records read, not decrypted), and is nullopt with fewer than two.
absl::StatusOr<std::optional<v1::Event>> RenderEvent(
    const v1::storage::StoredEvent& event, const SignalStore& store,
    const AccessPolicy& policy, absl::string_view receiver, EventAbout* about,
    absl::StatusOr<v1::storage::StoredSignal>* read = nullptr);

// Adds to `status` every disclosure of its signal that `trail` records
// (successful deliver, get_signal and release records about it), oldest
// first: who received it, in which role, which kind, under which legal basis,
// on whose behalf. Reads through the trail's index by signal.
absl::Status AddDisclosures(const AuditTrail& trail, v1::SignalStatus& status);

// The SignalStatus a source partner sees of its own signal at `now`: never
// another partner's data; whether it is archived, when retention destroys
// it, or when and under which rule it was destroyed.
v1::SignalStatus StatusForSource(const v1::storage::StoredSignal& signal,
                                 absl::Time now);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_ROUTING_RELEASE_H_
