// The policy's rules for figures (report_roles, report_threshold), and
// AccessPolicy's answers about them.
#include "server/policy/report_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/policy/access_policy.h"

namespace ketenhub {

absl::Status ValidateReportRules(const v1::Policy& policy) {
  const auto& roles = policy.report_roles();
  for (int i = 0; i < roles.size(); ++i) {
    const int role = roles[i];
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      return absl::InvalidArgumentError("report_roles: unknown role");
    }
    if (role == v1::ROLE_SUBMITTER || role == v1::ROLE_WITNESS) {
      return absl::InvalidArgumentError(absl::StrCat(
          "report_roles: ", v1::Role_Name(static_cast<v1::Role>(role)),
          " may not read figures"));
    }
    if (std::find(roles.begin(), roles.begin() + i, role) !=
        roles.begin() + i) {
      return absl::InvalidArgumentError("report_roles: a role listed twice");
    }
  }
  if (policy.report_threshold() != 0 && policy.report_threshold() < 3) {
    return absl::InvalidArgumentError(
        "report_threshold: at least 3 (or unset for 5)");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Role> AccessPolicy::ReportRoleOf(
    const v1::Partner& partner) const {
  for (const int role : policy_.report_roles()) {
    if (std::find(partner.roles().begin(), partner.roles().end(), role) !=
        partner.roles().end()) {
      return static_cast<v1::Role>(role);
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat("partner '", partner.id(),
                   "' may not read figures (rule: report_roles)"));
}

uint32_t AccessPolicy::ReportThreshold() const {
  return policy_.report_threshold() == 0 ? kDefaultReportThreshold
                                         : policy_.report_threshold();
}

}  // namespace ketenhub
