#ifndef KETENHUB_SERVER_POLICY_CALL_ROLES_H_
#define KETENHUB_SERVER_POLICY_CALL_ROLES_H_

#include <algorithm>
#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// The roles that may make a call: one, or either receiver's (the chain
// director's and the care coordinator's, who share ChainDirectorService).
class CallRoles {
 public:
  CallRoles(v1::Role role)  // NOLINT: a single role reads as itself
      : roles_{role, v1::ROLE_UNSPECIFIED} {}
  static CallRoles Receiver() {
    CallRoles roles(v1::ROLE_CHAIN_DIRECTOR);
    roles.roles_[1] = v1::ROLE_CARE_COORDINATOR;
    return roles;
  }

  // The first of these roles that `partner` has; PERMISSION_DENIED naming
  // them when it has none.
  absl::StatusOr<v1::Role> Of(const v1::Partner& partner) const {
    for (const v1::Role role : roles_) {
      if (role == v1::ROLE_UNSPECIFIED) continue;
      if (std::find(partner.roles().begin(), partner.roles().end(), role) !=
          partner.roles().end()) {
        return role;
      }
    }
    return absl::PermissionDeniedError(
        absl::StrCat("partner '", partner.id(), "' lacks role ", Names()));
  }
  v1::Role first() const { return roles_[0]; }
  // "ROLE_X" or "ROLE_X or ROLE_Y".
  std::string Names() const {
    std::string names = v1::Role_Name(roles_[0]);
    if (roles_[1] != v1::ROLE_UNSPECIFIED)
      absl::StrAppend(&names, " or ", v1::Role_Name(roles_[1]));
    return names;
  }

 private:
  std::array<v1::Role, 2> roles_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_CALL_ROLES_H_
