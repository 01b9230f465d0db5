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

namespace {

// OK when `signature` over `text` is `key_pem`'s, whose id must be `key_id`.
absl::Status VerifySigned(absl::string_view what, absl::string_view text,
                          absl::string_view signature, absl::string_view key_id,
                          absl::string_view key_pem) {
  absl::StatusOr<PkeyPtr> key = ReadPublicKey(key_pem);
  if (!key.ok()) return key.status();
  if (key_id != PublicKeyId(key->get())) {
    return absl::DataLossError(
        absl::StrCat(what, ": signed by another key than the one given"));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) ==
          1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(), reinterpret_cast<const unsigned char*>(text.data()),
          text.size()) == 1;
  if (!ok)
    return absl::DataLossError(
        absl::StrCat(what, ": the signature is not valid"));
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyCheckpoint(const v1::SignedCheckpoint& checkpoint,
                              absl::string_view public_key_pem) {
  return VerifySigned("checkpoint", CheckpointText(checkpoint),
                      checkpoint.signature(), checkpoint.key_id(),
                      public_key_pem);
}

std::string CosignatureText(const v1::Cosignature& cosignature) {
  return absl::StrCat("ketenhub-audit-cosignature v1\n",
                      cosignature.hub_key_id(), "\n", cosignature.tree_size(),
                      "\n", absl::BytesToHexString(cosignature.root_hash()),
                      "\n", cosignature.time().seconds(), "\n");
}

absl::Status VerifyCosignature(const v1::Cosignature& cosignature,
                               absl::string_view witness_key_pem) {
  return VerifySigned("cosignature", CosignatureText(cosignature),
                      cosignature.signature(), cosignature.witness_key_id(),
                      witness_key_pem);
}

}  // namespace ketenhub
