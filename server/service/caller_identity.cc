#include "server/service/caller_identity.h"

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
  return Caller{*partner, std::move(identity->sha256_fingerprint),
                std::move(policy)};
}

void LogCall(absl::string_view operation, const absl::StatusOr<Caller>& caller,
             const absl::Status& status, absl::string_view signal_id) {
  const absl::string_view partner =
      caller.ok() ? absl::string_view(caller->partner->id()) : "unidentified";
  if (status.ok()) {
    LogEvent(LogLevel::kInfo, operation,
             {{"partner", partner}, {"signal_id", signal_id}});
    return;
  }
  LogEvent(LogLevel::kWarning, operation,
           {{"partner", partner},
            {"code", absl::StatusCodeToString(status.code())},
            {"reason", status.message()}});
}

grpc::ServerUnaryReactor* FinishRefused(grpc::ServerUnaryReactor* reactor,
                                        absl::string_view operation,
                                        const absl::StatusOr<Caller>& caller,
                                        const absl::Status& status) {
  LogCall(operation, caller, status);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace ketenhub
