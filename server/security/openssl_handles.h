#ifndef KETENHUB_SERVER_SECURITY_OPENSSL_HANDLES_H_
#define KETENHUB_SERVER_SECURITY_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace ketenhub {

// Owning handles for OpenSSL objects used inside the security layer.
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_OPENSSL_HANDLES_H_
