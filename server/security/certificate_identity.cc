#include "server/security/certificate_identity.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/common/identifiers.h"
#include "server/security/openssl_handles.h"

namespace ketenhub {
namespace {

absl::StatusOr<std::string> SubjectSerialNumber(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1);
  if (index < 0) {
    return absl::UnauthenticatedError(
        "client certificate has no subject serialNumber (OIN)");
  }
  if (X509_NAME_get_index_by_NID(subject, NID_serialNumber, index) >= 0) {
    return absl::UnauthenticatedError(
        "client certificate has more than one subject serialNumber");
  }
  const ASN1_STRING* value =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
      ASN1_STRING_length(value));
}

std::string SerialHex(X509* cert) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = number ? BN_bn2hex(number) : nullptr;
  std::string out = hex ? absl::AsciiStrToLower(hex) : "";
  OPENSSL_free(hex);
  BN_free(number);
  return out;
}

absl::StatusOr<std::string> Sha256Fingerprint(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  if (length <= 0)
    return absl::UnauthenticatedError("certificate not encodable");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, length, digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::StatusOr<CertificateIdentity> IdentifyCertificatePem(
    absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                   : nullptr);
  if (!cert) return absl::UnauthenticatedError("client certificate unreadable");
  absl::StatusOr<std::string> oin = SubjectSerialNumber(cert.get());
  if (!oin.ok()) return oin.status();
  if (!IsWellFormedOin(*oin)) {
    return absl::UnauthenticatedError(
        "client certificate serialNumber is not a 20-digit OIN");
  }
  absl::StatusOr<std::string> fingerprint = Sha256Fingerprint(cert.get());
  if (!fingerprint.ok()) return fingerprint.status();
  return CertificateIdentity{*std::move(oin), *std::move(fingerprint),
                             SerialHex(cert.get())};
}

absl::StatusOr<std::string> CertificateFingerprintPem(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                   : nullptr);
  if (!cert) return absl::UnauthenticatedError("client certificate unreadable");
  return Sha256Fingerprint(cert.get());
}

struct CertificateIdentityCache::Anchor {
  X509Ptr certificate;
  std::string sha256;
};

CertificateIdentityCache::CertificateIdentityCache(
    size_t capacity, const RevocationList* revocation,
    absl::string_view anchors_pem)
    : capacity_(capacity), revocation_(revocation) {
  BioPtr bio(BIO_new_mem_buf(anchors_pem.data(),
                             static_cast<int>(anchors_pem.size())));
  while (bio) {
    X509Ptr anchor(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!anchor) break;
    absl::StatusOr<std::string> sha256 = Sha256Fingerprint(anchor.get());
    if (sha256.ok()) anchors_.push_back({std::move(anchor), *sha256});
  }
  ERR_clear_error();  // the end of the bundle reads as an error
}

CertificateIdentityCache::~CertificateIdentityCache() = default;

absl::StatusOr<CertificateIdentity> CertificateIdentityCache::Identify(
    absl::string_view pem) {
  absl::StatusOr<CertificateIdentity> identity = Parse(pem);
  if (!identity.ok() || revocation_ == nullptr) return identity;
  if (absl::Status checked =
          revocation_->Check(identity->serial_hex, absl::Now());
      !checked.ok()) {
    return checked;
  }
  return identity;
}

absl::StatusOr<CertificateIdentity> CertificateIdentityCache::Parse(
    absl::string_view pem) {
  {
    absl::MutexLock lock(&mu_);
    if (auto it = known_.find(pem); it != known_.end()) return it->second;
  }
  absl::StatusOr<CertificateIdentity> identity = IdentifyCertificatePem(pem);
  if (!identity.ok()) return identity;
  if (!anchors_.empty()) {
    // The anchor whose key verifies the signature (TLS already checked the
    // chain; this says which anchor it was, for the policy's pins).
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                     : nullptr);
    for (const Anchor& anchor : anchors_) {
      if (cert &&
          X509_check_issued(anchor.certificate.get(), cert.get()) ==
              X509_V_OK &&
          X509_verify(cert.get(), X509_get0_pubkey(anchor.certificate.get())) ==
              1) {
        identity->issuer_sha256 = anchor.sha256;
        break;
      }
    }
    ERR_clear_error();
  }
  absl::MutexLock lock(&mu_);
  if (known_.size() >= capacity_) known_.clear();
  known_.emplace(pem, *identity);
  return identity;
}

}  // namespace ketenhub
