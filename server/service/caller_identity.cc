#include "server/service/caller_identity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpc/grpc_security_constants.h"
#include "server/common/json_log.h"
#include "server/security/certificate_identity.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

absl::StatusOr<Caller> IdentifyCaller(
    const grpc::ServerContextBase& context,
    std::shared_ptr<const AccessPolicy> policy,
    CertificateIdentityCache& certificates) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr)
    return absl::UnauthenticatedError("no client certificate");
  std::vector<grpc::string_ref> pems =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return absl::UnauthenticatedError("no client certificate");
  absl::StatusOr<CertificateIdentity> identity = certificates.Identify(
      absl::string_view(pems.front().data(), pems.front().size()));
  if (!identity.ok()) return identity.status();
  absl::StatusOr<const v1::Partner*> partner =
      policy->PartnerForOin(identity->oin);
  if (!partner.ok()) return partner.status();
  const auto& issuers = (*partner)->pinned_issuers();
  if (!issuers.empty() && std::find(issuers.begin(), issuers.end(),
                                    identity->issuer_sha256) == issuers.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate for partner '", (*partner)->id(),
        "' is not issued by its pinned CA (policy partners.pinned_issuers)"));
  }
  const auto& pinned = (*partner)->pinned_certificates();
  if (!pinned.empty() &&
      std::find(pinned.begin(), pinned.end(), identity->sha256_fingerprint) ==
          pinned.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate for partner '", (*partner)->id(),
                     "' is not one of its pinned certificates (policy "
                     "partners.pinned_certificates)"));
  }
  return Caller{*partner, std::move(identity->sha256_fingerprint),
                std::move(policy)};
}

}  // namespace ketenhub
