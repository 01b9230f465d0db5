#ifndef KETENHUB_SERVER_AUDIT_OPENSSL_PTRS_H_
#define KETENHUB_SERVER_AUDIT_OPENSSL_PTRS_H_

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

// Internal to the audit layer: owning handles for the OpenSSL objects that
// checkpoint signing and verification use.
namespace ketenhub::audit_internal {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

}  // namespace ketenhub::audit_internal

#endif  // KETENHUB_SERVER_AUDIT_OPENSSL_PTRS_H_
