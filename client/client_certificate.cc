#include "client/client_certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ketenhub {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

X509Ptr ParseCertificate(const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// "2025-01-01 00:00 UTC" for an ASN.1 time.
std::string TimeText(const ASN1_TIME* time) {
  struct tm parts;
  if (ASN1_TIME_to_tm(time, &parts) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &parts);
  return text;
}

absl::Status Refused(const std::string& what) {
  return absl::FailedPreconditionError(what);
}

}  // namespace

absl::Status CheckClientCertificate(
    const std::string& cert_pem, const std::string& cert_file,
    const std::string& key_pem, const std::string& key_file,
    const std::string& ca_pem, const std::string& ca_file, absl::Time now) {
  X509Ptr cert = ParseCertificate(cert_pem);
  if (!cert) {
    return Refused(
        absl::StrCat("certificate: no PEM certificate in ", cert_file));
  }
  const time_t at = absl::ToTimeT(now);
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), const_cast<time_t*>(&at)) >
      0) {
    return Refused(absl::StrCat("certificate ", cert_file,
                                " is not valid yet: from ",
                                TimeText(X509_get0_notBefore(cert.get()))));
  }
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), const_cast<time_t*>(&at)) <
      0) {
    return Refused(absl::StrCat("certificate ", cert_file, " expired on ",
                                TimeText(X509_get0_notAfter(cert.get())),
                                "; ask your CA for a new one"));
  }
  BioPtr key_bio = MemoryBio(key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return Refused(absl::StrCat(
        "private key: no unencrypted PEM private key in ", key_file));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Refused(absl::StrCat("the private key in ", key_file,
                                " does not belong to the certificate ",
                                cert_file));
  }
  if (!ParseCertificate(ca_pem)) {
    return Refused(
        absl::StrCat("CA certificate: no PEM certificate in ", ca_file));
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
