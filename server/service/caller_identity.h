#ifndef KETENHUB_SERVER_SERVICE_CALLER_IDENTITY_H_
#define KETENHUB_SERVER_SERVICE_CALLER_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/policy/access_policy.h"
#include "server/security/certificate_identity.h"

namespace ketenhub {

// Who is calling: the registered partner behind the verified client
// certificate of this call.
struct Caller {
  const v1::Partner* partner;  // points into `policy`
  std::string certificate_fingerprint;
  std::shared_ptr<const AccessPolicy> policy;  // the snapshot it was found in
};

// Reads the peer certificate that TLS verified for `context`, takes its OIN
// (through `certificates`) and looks the partner up in `policy`.
// UNAUTHENTICATED when there is no certificate, no OIN, or the OIN is not
// registered. The result keeps `policy` alive.
absl::StatusOr<Caller> IdentifyCaller(
    const grpc::ServerContextBase& context,
    std::shared_ptr<const AccessPolicy> policy,
    CertificateIdentityCache& certificates);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_CALLER_IDENTITY_H_
