#include "server/policy/access_policy.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/common/identifiers.h"
#include "server/common/status_macros.h"
#include "server/common/text_proto.h"

namespace ketenhub {
namespace {

bool IsPartnerId(absl::string_view id) {
  if (id.empty() || id.size() > 40) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool HasRole(const v1::Partner& partner, v1::Role role) {
  return std::find(partner.roles().begin(), partner.roles().end(), role) !=
         partner.roles().end();
}

absl::Status PartnerError(int index, const v1::Partner& partner,
                          absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "partners[", index, "] (", partner.id().empty() ? "no id" : partner.id(),
      "): ", problem));
}

absl::Status ValidateRoles(int index, const v1::Partner& partner) {
  if (partner.roles().empty())
    return PartnerError(index, partner, "roles: at least one role required");
  absl::flat_hash_set<int> seen;
  for (const int role : partner.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      return PartnerError(index, partner, "roles: unknown role");
    }
    if (!seen.insert(role).second) {
      return PartnerError(
          index, partner,
          absl::StrCat("roles: ", v1::Role_Name(role), " listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMaySubmit(int index, const v1::Partner& partner) {
  if (!partner.may_submit().empty() && !HasRole(partner, v1::ROLE_SUBMITTER)) {
    return PartnerError(index, partner,
                        "may_submit: needs role ROLE_SUBMITTER");
  }
  for (const int category : partner.may_submit()) {
    if (category == v1::CATEGORY_UNSPECIFIED ||
        !v1::Category_IsValid(category)) {
      return PartnerError(index, partner, "may_submit: unknown category");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const v1::Policy& policy) {
  if (policy.partners().empty()) {
    return absl::InvalidArgumentError("partners: the registry is empty");
  }
  absl::flat_hash_set<std::string> ids, oins;
  for (int i = 0; i < policy.partners_size(); ++i) {
    const v1::Partner& p = policy.partners(i);
    if (!IsPartnerId(p.id()))
      return PartnerError(i, p, "id: must be 1-40 of [a-z0-9-]");
    if (!ids.insert(p.id()).second) return PartnerError(i, p, "id: used twice");
    if (p.name().empty()) return PartnerError(i, p, "name: required");
    if (!IsWellFormedOin(p.oin()))
      return PartnerError(i, p, "oin: must be 20 digits");
    if (!oins.insert(p.oin()).second)
      return PartnerError(i, p, "oin: used by another partner");
    if (p.regime() == v1::DATA_REGIME_UNSPECIFIED ||
        !v1::DataRegime_IsValid(p.regime())) {
      return PartnerError(
          i, p, "regime: DATA_REGIME_AVG or DATA_REGIME_WPG required");
    }
    KETENHUB_RETURN_IF_ERROR(ValidateRoles(i, p));
    KETENHUB_RETURN_IF_ERROR(ValidateMaySubmit(i, p));
  }
  return absl::OkStatus();
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::FromText(
    absl::string_view text, absl::string_view source_name) {
  v1::Policy policy;
  KETENHUB_RETURN_IF_ERROR(
      ParseTextProto(text, absl::StrCat("policy ", source_name), &policy));
  if (absl::Status valid = ValidatePolicy(policy); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", source_name, ": ", valid.message()));
  }
  return std::unique_ptr<AccessPolicy>(
      new AccessPolicy(std::move(policy), Sha256Hex(text)));
}

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::FromFile(
    const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return FromText(*text, path);
}

AccessPolicy::AccessPolicy(v1::Policy policy, std::string version)
    : policy_(std::move(policy)), version_(std::move(version)) {
  for (const v1::Partner& partner : policy_.partners()) {
    by_oin_[partner.oin()] = &partner;
  }
}

absl::StatusOr<const v1::Partner*> AccessPolicy::PartnerForOin(
    absl::string_view oin) const {
  auto it = by_oin_.find(oin);
  if (it == by_oin_.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("OIN ", oin, " is not in the partner registry"));
  }
  return it->second;
}

absl::Status AccessPolicy::CheckRole(const v1::Partner& partner,
                                     v1::Role role) const {
  if (HasRole(partner, role)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "partner '", partner.id(), "' lacks role ", v1::Role_Name(role)));
}

absl::Status AccessPolicy::CheckMaySubmit(const v1::Partner& partner,
                                          v1::Category category) const {
  KETENHUB_RETURN_IF_ERROR(CheckRole(partner, v1::ROLE_SUBMITTER));
  const auto& allowed = partner.may_submit();
  if (std::find(allowed.begin(), allowed.end(), category) != allowed.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "partner '", partner.id(), "' may not submit ",
      v1::Category_Name(category), " (rule: partners.may_submit)"));
}

}  // namespace ketenhub
