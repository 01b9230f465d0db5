#ifndef KETENHUB_SERVER_POLICY_PERSON_RULES_H_
#define KETENHUB_SERVER_POLICY_PERSON_RULES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// The policy's person_rules: which calls must name the natural person
// acting. Internal to the policy layer; AccessPolicy::PersonRequired is the
// way in.

// INVALID_ARGUMENT naming the rule and field when a rule has no role, names
// an operation that does not exist, or a partner that is not registered or
// lacks the role.
absl::Status ValidatePersonRules(const v1::Policy& policy);

// Whether a rule of `policy` covers `partner` calling `operation` in `role`.
bool PersonRuleCovers(const v1::Policy& policy, const v1::Partner& partner,
                      v1::Role role, absl::string_view operation);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_PERSON_RULES_H_
