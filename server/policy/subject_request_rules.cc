// The policy's four-eyes rules (subject_requests), and AccessPolicy's
// answers about them.
#include "server/policy/subject_request_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/policy/access_policy.h"

namespace ketenhub {
namespace {

bool IsPrintable(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

absl::Status ValidateSubjectRequestRules(const v1::Policy& policy) {
  const v1::SubjectRequestRules& rules = policy.subject_requests();
  const auto& roles = rules.approver_roles();
  for (int i = 0; i < roles.size(); ++i) {
    if (roles[i] != v1::ROLE_AUDITOR && roles[i] != v1::ROLE_OPERATOR) {
      return absl::InvalidArgumentError(
          "subject_requests.approver_roles: only ROLE_AUDITOR or "
          "ROLE_OPERATOR may approve");
    }
    if (std::find(roles.begin(), roles.begin() + i, roles[i]) !=
        roles.begin() + i) {
      return absl::InvalidArgumentError(
          "subject_requests.approver_roles: a role listed twice");
    }
  }
  for (const std::string& role : rules.approver_user_roles()) {
    if (role.empty() || role.size() > 64 || !IsPrintable(role)) {
      return absl::InvalidArgumentError(
          "subject_requests.approver_user_roles: each 1-64 printable "
          "characters, as keten-user-role sends it");
    }
  }
  if (!rules.valid_for().empty()) {
    absl::Duration valid_for;
    if (!absl::ParseDuration(rules.valid_for(), &valid_for) ||
        valid_for < absl::Seconds(1) || valid_for > absl::Hours(720)) {
      return absl::InvalidArgumentError(
          "subject_requests.valid_for: a duration from 1s to 720h, e.g. "
          "\"72h\"");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Role> AccessPolicy::ApproverRoleOf(
    const v1::Partner& partner, absl::string_view user_role) const {
  const v1::SubjectRequestRules& rules = policy_.subject_requests();
  for (const int role : rules.approver_roles()) {
    if (std::find(partner.roles().begin(), partner.roles().end(), role) ==
        partner.roles().end()) {
      continue;
    }
    const auto& user_roles = rules.approver_user_roles();
    if (!user_roles.empty() && std::find(user_roles.begin(), user_roles.end(),
                                         user_role) == user_roles.end()) {
      return absl::PermissionDeniedError(
          "keten-user-role: this function may not approve (rule: "
          "subject_requests.approver_user_roles)");
    }
    return static_cast<v1::Role>(role);
  }
  return absl::PermissionDeniedError(
      absl::StrCat("partner '", partner.id(),
                   "' may not approve subject requests (rule: "
                   "subject_requests.approver_roles)"));
}

absl::Status AccessPolicy::CheckApproversNamed() const {
  if (policy_.subject_requests().approver_roles().empty()) {
    return absl::FailedPreconditionError(
        "policy: subject_requests.approver_roles names no approver, so no "
        "export or erasure can be approved");
  }
  return absl::OkStatus();
}

absl::Duration AccessPolicy::SubjectRequestValidFor() const {
  absl::Duration valid_for = kDefaultSubjectRequestValidFor;
  const std::string& text = policy_.subject_requests().valid_for();
  if (!text.empty()) (void)absl::ParseDuration(text, &valid_for);
  return valid_for;
}

}  // namespace ketenhub
