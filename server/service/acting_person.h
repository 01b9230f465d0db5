#ifndef KETENHUB_SERVER_SERVICE_ACTING_PERSON_H_
#define KETENHUB_SERVER_SERVICE_ACTING_PERSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace ketenhub {

// The natural person a call is made for, as the calling organisation names
// them in gRPC metadata. The organisation's certificate remains the
// authentication; it answers for the person it names (NEN 7513's
// responsible user).
struct ActingPerson {
  std::string id;    // keten-user: the organisation's own employee id
  std::string role;  // keten-user-role: their function
  std::string name;  // keten-user-name: optional
};

inline constexpr char kUserHeader[] = "keten-user";
inline constexpr char kUserRoleHeader[] = "keten-user-role";
inline constexpr char kUserNameHeader[] = "keten-user-name";

// The person the call's metadata names, or nullopt when it names none (no
// keten-user). INVALID_ARGUMENT naming the header when a value is empty,
// over 64 bytes or not printable ASCII, when keten-user holds other than
// [A-Za-z0-9._@:-] or is a valid BSN (an employee is named by the
// organisation's own number, never a citizen number), or when keten-user
// comes without keten-user-role or the other way round.
absl::StatusOr<std::optional<ActingPerson>> ReadActingPerson(
    const grpc::ServerContextBase& context);

// Whether `id` is a valid keten-user (as above); INVALID_ARGUMENT naming
// `field` when not. For request fields that name a person (an assignee).
absl::Status CheckPersonId(absl::string_view field, absl::string_view id);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_ACTING_PERSON_H_
