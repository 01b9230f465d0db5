#include "server/audit/checkpoint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/audit/openssl_ptrs.h"

namespace ketenhub {
namespace {

using audit_internal::BioPtr;
using audit_internal::MdCtxPtr;
using audit_internal::PkeyPtr;

std::string PublicKeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(length), digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<PkeyPtr> ReadPublicKey(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(
        "public key: not an Ed25519 public key in PEM");
  }
  return key;
}

}  // namespace

std::string CheckpointText(const v1::SignedCheckpoint& checkpoint) {
  return absl::StrCat("ketenhub-audit-checkpoint v1\n", checkpoint.tree_size(),
                      "\n", absl::BytesToHexString(checkpoint.root_hash()),
                      "\n", checkpoint.time().seconds(), "\n");
}

absl::StatusOr<std::string> CheckpointKeyId(absl::string_view public_key_pem) {
  absl::StatusOr<PkeyPtr> key = ReadPublicKey(public_key_pem);
  if (!key.ok()) return key.status();
  return PublicKeyId(key->get());
}

absl::Status VerifyCheckpoint(const v1::SignedCheckpoint& checkpoint,
                              absl::string_view public_key_pem) {
  absl::StatusOr<PkeyPtr> key = ReadPublicKey(public_key_pem);
  if (!key.ok()) return key.status();
  if (checkpoint.key_id() != PublicKeyId(key->get())) {
    return absl::DataLossError(
        "checkpoint: signed by another key than the one given");
  }
  const std::string text = CheckpointText(checkpoint);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) ==
          1 &&
      EVP_DigestVerify(
          ctx.get(),
          reinterpret_cast<const unsigned char*>(checkpoint.signature().data()),
          checkpoint.signature().size(),
          reinterpret_cast<const unsigned char*>(text.data()),
          text.size()) == 1;
  if (!ok) return absl::DataLossError("checkpoint: the signature is not valid");
  return absl::OkStatus();
}

}  // namespace ketenhub
