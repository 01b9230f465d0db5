// The policy's routes: who sends which categories to which receiver, and
// how each kind of section travels.
#include "server/policy/route_rules.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"
#include "server/policy/call_roles.h"

namespace ketenhub {
namespace {

absl::Status RouteError(int index, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("routes[", index, "]: ", problem));
}

const v1::Partner* FindPartner(const v1::Policy& policy, absl::string_view id) {
  for (const v1::Partner& p : policy.partners()) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

absl::Status ValidateRouteSections(int index, const v1::Route& route) {
  absl::flat_hash_set<int> kinds;
  for (const v1::SectionRule& rule : route.sections()) {
    if (rule.kind() == v1::DATA_KIND_UNSPECIFIED ||
        !v1::DataKind_IsValid(rule.kind())) {
      return RouteError(index, "sections: unknown kind");
    }
    if (rule.mode() == v1::RELEASE_MODE_UNSPECIFIED ||
        !v1::ReleaseMode_IsValid(rule.mode())) {
      return RouteError(
          index, absl::StrCat("sections: ", v1::DataKind_Name(rule.kind()),
                              " needs mode RELEASE_DIRECT, RELEASE_TWO_STAGE "
                              "or RELEASE_NEVER"));
    }
    if (!kinds.insert(rule.kind()).second) {
      return RouteError(
          index, absl::StrCat("sections: ", v1::DataKind_Name(rule.kind()),
                              " listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRoutes(const v1::Policy& policy) {
  absl::flat_hash_set<std::string> seen;  // source, category, receiver
  for (int i = 0; i < policy.routes_size(); ++i) {
    const v1::Route& route = policy.routes(i);
    const v1::Partner* source = FindPartner(policy, route.source());
    if (source == nullptr)
      return RouteError(
          i, absl::StrCat("source: no partner '", route.source(), "'"));
    if (std::find(source->roles().begin(), source->roles().end(),
                  v1::ROLE_SUBMITTER) == source->roles().end())
      return RouteError(i, "source: needs role ROLE_SUBMITTER");
    const v1::Partner* receiver = FindPartner(policy, route.receiver());
    if (receiver == nullptr)
      return RouteError(
          i, absl::StrCat("receiver: no partner '", route.receiver(), "'"));
    if (!CallRoles::Receiver().Of(*receiver).ok()) {
      return RouteError(i, absl::StrCat("receiver: needs role ",
                                        CallRoles::Receiver().Names()));
    }
    if (route.categories().empty())
      return RouteError(i, "categories: at least one required");
    for (const int category : route.categories()) {
      if (category == v1::CATEGORY_UNSPECIFIED ||
          !v1::Category_IsValid(category)) {
        return RouteError(i, "categories: unknown category");
      }
      if (!seen.insert(absl::StrCat(route.source(), "/", category, "/",
                                    route.receiver()))
               .second) {
        return RouteError(i, absl::StrCat(v1::Category_Name(category),
                                          " from '", route.source(), "' to '",
                                          route.receiver(), "' routed twice"));
      }
    }
    KETENHUB_RETURN_IF_ERROR(ValidateRouteSections(i, route));
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
