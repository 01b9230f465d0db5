#ifndef KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_
#define KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/security/revocation_list.h"

namespace ketenhub {

// What the hub reads from a verified peer certificate.
struct CertificateIdentity {
  std::string oin;                 // 20 digits, from subject serialNumber
  std::string sha256_fingerprint;  // lowercase hex of SHA-256 over the DER
  std::string serial_hex;          // the certificate's serial, lowercase hex
  // SHA-256 (lowercase hex) of the trust anchor whose key signed it, among
  // the cache's anchors; empty when none did (or there are none).
  std::string issuer_sha256;
};

// Parses one PEM certificate and reads the organisation's OIN from the subject
// `serialNumber` (the PKIoverheid/Digikoppeling convention). Fails with
// UNAUTHENTICATED when the certificate cannot be parsed, has no serialNumber,
// or the serialNumber is not 20 digits. Thread-safe.
absl::StatusOr<CertificateIdentity> IdentifyCertificatePem(
    absl::string_view pem);

// Lower-case hex SHA-256 over the DER of one PEM certificate, whatever its
// subject; UNAUTHENTICATED when it cannot be parsed.
absl::StatusOr<std::string> CertificateFingerprintPem(absl::string_view pem);

// Remembers the identities of certificates seen before, so that a call on a
// known connection does not parse its certificate again (OpenSSL 3's PEM
// decoding is costly). Holds at most `capacity` certificates. Thread-safe.
class CertificateIdentityCache {
 public:
  // With `revocation` (which must outlive the cache), Identify also refuses
  // revoked certificates and, fail closed, everyone while the revocation
  // lists are unusable.
  // `anchors_pem`: the hub's trust bundle (tls.ca_file), whose
  // certificates name a certificate's issuer (issuer_sha256).
  explicit CertificateIdentityCache(size_t capacity = 4096,
                                    const RevocationList* revocation = nullptr,
                                    absl::string_view anchors_pem = "");
  ~CertificateIdentityCache();
  CertificateIdentityCache(const CertificateIdentityCache&) = delete;
  CertificateIdentityCache& operator=(const CertificateIdentityCache&) = delete;

  // As IdentifyCertificatePem, then the revocation check (UNAUTHENTICATED
  // when revoked, UNAVAILABLE when the lists are unusable); failures are not
  // remembered.
  absl::StatusOr<CertificateIdentity> Identify(absl::string_view pem);

 private:
  absl::StatusOr<CertificateIdentity> Parse(absl::string_view pem);

  struct Anchor;

  const size_t capacity_;
  const RevocationList* const revocation_;
  std::vector<Anchor> anchors_;  // set once, in the constructor
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CertificateIdentity> known_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_CERTIFICATE_IDENTITY_H_
