#ifndef KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_
#define KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ketenhub {

// What the hub reads from a verified peer certificate.
struct CertificateIdentity {
  std::string oin;                 // 20 digits, from subject serialNumber
  std::string sha256_fingerprint;  // lowercase hex of SHA-256 over the DER
};

// Parses one PEM certificate and reads the organisation's OIN from the subject
// `serialNumber` (the PKIoverheid/Digikoppeling convention). Fails with
// UNAUTHENTICATED when the certificate cannot be parsed, has no serialNumber,
// or the serialNumber is not 20 digits. Thread-safe.
absl::StatusOr<CertificateIdentity> IdentifyCertificatePem(
    absl::string_view pem);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_
