#include "server/service/acting_person.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/identifiers.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxHeaderBytes = 64;

// The value of `header`, or nullopt when the call does not send it.
std::optional<std::string> Header(const grpc::ServerContextBase& context,
                                  absl::string_view header) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(header.data(), header.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

absl::Status CheckPrintable(absl::string_view header, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(header, ": empty"));
  }
  if (value.size() > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(header, ": over ", kMaxHeaderBytes, " bytes"));
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          header, ": only printable ASCII (no control characters)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPersonId(absl::string_view field, absl::string_view id) {
  if (absl::Status printable = CheckPrintable(field, id); !printable.ok()) {
    return printable;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '@' &&
        c != ':' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": only [A-Za-z0-9._@:-]"));
    }
  }
  if (CanonicalBsn(id).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": is a BSN; name the employee by the organisation's own number "
        "(personnel or UZI number)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ActingPerson>> ReadActingPerson(
    const grpc::ServerContextBase& context) {
  std::optional<std::string> id = Header(context, kUserHeader);
  std::optional<std::string> role = Header(context, kUserRoleHeader);
  std::optional<std::string> name = Header(context, kUserNameHeader);
  if (!id.has_value() && !role.has_value() && !name.has_value())
    return std::nullopt;
  if (!id.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kUserHeader, ": required with ",
                     role.has_value() ? kUserRoleHeader : kUserNameHeader));
  }
  if (absl::Status valid = CheckPersonId(kUserHeader, *id); !valid.ok())
    return valid;
  if (!role.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kUserRoleHeader, ": required with ", kUserHeader));
  }
  if (absl::Status valid = CheckPrintable(kUserRoleHeader, *role);
      !valid.ok()) {
    return valid;
  }
  if (name.has_value()) {
    if (absl::Status valid = CheckPrintable(kUserNameHeader, *name);
        !valid.ok()) {
      return valid;
    }
  }
  return ActingPerson{*std::move(id), *std::move(role),
                      name.value_or(std::string())};
}

}  // namespace ketenhub
