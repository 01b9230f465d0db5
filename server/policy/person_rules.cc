#include "server/policy/person_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/policy/operations.h"

namespace ketenhub {
namespace {

template <typename List, typename Value>
bool Contains(const List& list, const Value& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

absl::Status ValidatePersonRules(const v1::Policy& policy) {
  for (int i = 0; i < policy.person_rules_size(); ++i) {
    const v1::PersonRule& rule = policy.person_rules(i);
    const std::string field = absl::StrCat("person_rules[", i, "]");
    if (rule.role() == v1::ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".role: required"));
    }
    for (const std::string& operation : rule.operations()) {
      if (!Contains(kOperations, operation)) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".operations: unknown operation \"", operation, "\""));
      }
    }
    for (const std::string& id : rule.partners()) {
      auto partner =
          std::find_if(policy.partners().begin(), policy.partners().end(),
                       [&id](const v1::Partner& p) { return p.id() == id; });
      if (partner == policy.partners().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".partners: unknown partner \"", id, "\""));
      }
      if (!Contains(partner->roles(), rule.role())) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".partners: \"", id, "\" lacks role ",
                         v1::Role_Name(rule.role())));
      }
    }
  }
  return absl::OkStatus();
}

bool PersonRuleCovers(const v1::Policy& policy, const v1::Partner& partner,
                      v1::Role role, absl::string_view operation) {
  for (const v1::PersonRule& rule : policy.person_rules()) {
    if (rule.role() != role) continue;
    if (!rule.operations().empty() && !Contains(rule.operations(), operation))
      continue;
    if (!rule.partners().empty() && !Contains(rule.partners(), partner.id()))
      continue;
    return true;
  }
  return false;
}

}  // namespace ketenhub
