#ifndef KETENHUB_SERVER_POLICY_REPORT_RULES_H_
#define KETENHUB_SERVER_POLICY_REPORT_RULES_H_

#include "absl/status/status.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

inline constexpr uint32_t kDefaultReportThreshold = 5;

// Checks the policy's report_roles and report_threshold: known roles, each
// once, never a submitter's or a witness's; a threshold of 0 (the default)
// or at least 3. INVALID_ARGUMENT naming the field.
absl::Status ValidateReportRules(const v1::Policy& policy);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_REPORT_RULES_H_
