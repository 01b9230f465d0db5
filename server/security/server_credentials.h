#ifndef KETENHUB_SERVER_SECURITY_SERVER_CREDENTIALS_H_
#define KETENHUB_SERVER_SECURITY_SERVER_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "ketenhub/v1/config.pb.h"

namespace ketenhub {

// Checks the files named in `tls` (each readable PEM; the key matches the
// certificate; the certificate is within its validity period; the CA bundle
// holds at least one certificate) and returns mutual-TLS server credentials
// that require a client certificate and verify it against the CA bundle.
// The files are re-read periodically, so renewed certificates take effect
// without a restart. There is no insecure variant.
// Fails with INVALID_ARGUMENT or FAILED_PRECONDITION naming the config field
// and the problem. Thread-safe.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const v1::TlsConfig& tls);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_SERVER_CREDENTIALS_H_
