#include "server/policy/identifier_rules.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "server/policy/subject_identifiers.h"

namespace ketenhub {

absl::Status CheckIdentifierRules(const v1::Partner& partner) {
  const auto& roles = partner.roles();
  if (!partner.identifiers().empty() &&
      std::find(roles.begin(), roles.end(), v1::ROLE_SUBMITTER) ==
          roles.end()) {
    return absl::InvalidArgumentError("identifiers: needs role ROLE_SUBMITTER");
  }
  absl::flat_hash_set<int> seen;
  for (const v1::IdentifierRule& rule : partner.identifiers()) {
    if (rule.kind() < v1::IDENTIFIER_KIND_PHONE ||
        !v1::IdentifierKind_IsValid(rule.kind())) {
      return absl::InvalidArgumentError(
          "identifiers.kind: PHONE, EMAIL, ADDRESS, ALIAS or ADVERT (BSN and "
          "PERSON need no rule)");
    }
    if (!seen.insert(rule.kind()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("identifiers: ", v1::IdentifierKind_Name(rule.kind()),
                       " listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMayIdentify(const v1::Partner& partner,
                              const v1::Subject& subject) {
  bool alone_allowed = false;
  for (const v1::Identifier& identifier : subject.identifiers()) {
    const v1::IdentifierKind kind = KindOf(identifier);
    const auto& rules = partner.identifiers();
    auto rule = std::find_if(
        rules.begin(), rules.end(),
        [kind](const v1::IdentifierRule& r) { return r.kind() == kind; });
    if (rule == rules.end()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "partner '", partner.id(), "' may not identify a person by ",
          KindName(kind), " (rule: partners.identifiers)"));
    }
    alone_allowed = alone_allowed || rule->alone();
  }
  if (subject.identifier_case() == v1::Subject::IDENTIFIER_NOT_SET &&
      !alone_allowed) {
    return absl::PermissionDeniedError(absl::StrCat(
        "partner '", partner.id(),
        "' may not signal about these identifiers alone, without a BSN or "
        "name (rule: partners.identifiers.alone)"));
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
