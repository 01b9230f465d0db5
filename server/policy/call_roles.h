#ifndef KETENHUB_SERVER_POLICY_CALL_ROLES_H_
#define KETENHUB_SERVER_POLICY_CALL_ROLES_H_

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// The roles that may make a call: one, either receiver's (the chain
// director's and the care coordinator's, who share ChainDirectorService),
// or a few (in order of preference, for a partner with several).
class CallRoles {
 public:
  CallRoles(v1::Role role)  // NOLINT: a single role reads as itself
      : roles_{} {
    roles_[0] = role;
  }
  static CallRoles Receiver() {
    return AnyOf({v1::ROLE_CHAIN_DIRECTOR, v1::ROLE_CARE_COORDINATOR});
  }
  // At most six.
  static CallRoles AnyOf(std::initializer_list<v1::Role> roles) {
    CallRoles out(v1::ROLE_UNSPECIFIED);
    size_t i = 0;
    for (v1::Role role : roles) {
      if (i < out.roles_.size()) out.roles_[i++] = role;
    }
    return out;
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
  // "ROLE_X", "ROLE_X or ROLE_Y", "ROLE_X, ROLE_Y or ROLE_Z".
  std::string Names() const {
    std::string names;
    size_t count = 0;
    for (const v1::Role role : roles_) count += role != v1::ROLE_UNSPECIFIED;
    size_t written = 0;
    for (const v1::Role role : roles_) {
      if (role == v1::ROLE_UNSPECIFIED) continue;
      if (written > 0)
        absl::StrAppend(&names, written + 1 == count ? " or " : ", ");
      absl::StrAppend(&names, v1::Role_Name(role));
      ++written;
    }
    return names;
  }

 private:
  std::array<v1::Role, 6> roles_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_CALL_ROLES_H_
