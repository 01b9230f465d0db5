#ifndef KETENHUB_SERVER_POLICY_SUBJECT_REQUEST_RULES_H_
#define KETENHUB_SERVER_POLICY_SUBJECT_REQUEST_RULES_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

inline constexpr absl::Duration kDefaultSubjectRequestValidFor =
    absl::Hours(72);

// Checks the policy's subject_requests: approver_roles each ROLE_AUDITOR or
// ROLE_OPERATOR and once, approver_user_roles printable and 1..64 bytes,
// valid_for a duration from 1s to 720h. INVALID_ARGUMENT naming the field.
absl::Status ValidateSubjectRequestRules(const v1::Policy& policy);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_SUBJECT_REQUEST_RULES_H_
