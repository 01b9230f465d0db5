#ifndef KETENHUB_SERVER_POLICY_SIGNAL_VALIDATION_H_
#define KETENHUB_SERVER_POLICY_SIGNAL_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

// Bounds on what one signal may carry (lengths in bytes of UTF-8).
struct SignalLimits {
  size_t max_summary_bytes = 4000;
  size_t max_sections = 20;
  size_t max_section_bytes = 16000;
  size_t max_short_field_bytes = 200;  // names, titles, legal basis, contact
  size_t max_client_ref_bytes = 128;
  absl::Duration max_clock_skew = absl::Minutes(5);
};

// Checks every field of a submitted signal: client_ref, category, urgency,
// subject (BSN 11-proef, or name and date of birth, and weak identifiers in
// their normal forms, server/policy/subject_identifiers.h; or those alone),
// municipality (CBS code),
// observed_at (not in the future beyond `limits.max_clock_skew` of `now`),
// summary, sections, legal_basis and contact. Returns OK, or INVALID_ARGUMENT
// whose message names the first bad field and the rule, e.g.
// "subject.bsn: fails the 11-proef". Messages never repeat the field's value.
// Thread-safe.
absl::Status ValidateSignal(const v1::Signal& signal,
                            const SignalLimits& limits, absl::Time now);

// Bounds on the free text of the other calls (bytes of UTF-8), in one place.
inline constexpr size_t kMaxReasonBytes = 500;            // Decide, Withdraw
inline constexpr size_t kMaxReferredToBytes = 200;        // Decide
inline constexpr size_t kMaxLegalBasisBytes = 200;        // Release
inline constexpr size_t kMaxRequestReferenceBytes = 200;  // EraseSubject

// INVALID_ARGUMENT "signal_id: required, at most 64 bytes" unless
// `signal_id` is 1 to 64 bytes (a request's signal id, before lookup).
absl::Status CheckSignalId(absl::string_view signal_id);

// Checks a free-text field a caller must fill in (a reason, a legal basis):
// INVALID_ARGUMENT "FIELD: required, at most N bytes" when `value` is empty,
// only whitespace, or longer than `max_bytes`. Thread-safe.
absl::Status CheckRequiredText(absl::string_view field, absl::string_view value,
                               size_t max_bytes);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_SIGNAL_VALIDATION_H_
