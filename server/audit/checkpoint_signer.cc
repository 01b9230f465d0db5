#include "server/audit/checkpoint_signer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "server/audit/openssl_ptrs.h"
#include "server/common/text_proto.h"

namespace ketenhub {
namespace {

using audit_internal::BioPtr;
using audit_internal::MdCtxPtr;
using audit_internal::PkeyPtr;

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

absl::Status WriteFile(const std::string& path, absl::string_view contents,
                       mode_t mode, bool exclusive) {
  const int flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  const bool ok = ::write(fd, contents.data(), contents.size()) ==
                      static_cast<ssize_t>(contents.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status CreateKey(const std::string& path) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return absl::InternalError("cannot generate the audit signing key");
  }
  std::string pem = BioContents(bio.get());
  absl::Status written = WriteFile(path, pem, 0600, /*exclusive=*/true);
  OPENSSL_cleanse(pem.data(), pem.size());
  return written;
}

// What both signers share: the checkpoint's text and the key's public
// half and id; each makes the signature its own way.
class SignerBase : public CheckpointSigner {
 public:
  SignerBase(std::string public_pem, std::string key_id)
      : public_pem_(std::move(public_pem)), key_id_(std::move(key_id)) {}

  v1::SignedCheckpoint Sign(uint64_t tree_size, absl::string_view root_hash,
                            absl::Time time) const override {
    v1::SignedCheckpoint checkpoint;
    checkpoint.set_tree_size(tree_size);
    checkpoint.set_root_hash(std::string(root_hash));
    checkpoint.mutable_time()->set_seconds(absl::ToUnixSeconds(time));
    checkpoint.set_key_id(key_id_);
    // Unsigned only if OpenSSL or the token failed: verification then
    // fails.
    checkpoint.set_signature(SignBytes(CheckpointText(checkpoint)));
    return checkpoint;
  }

  const std::string& public_key_pem() const override { return public_pem_; }
  const std::string& key_id() const override { return key_id_; }

 private:
  const std::string public_pem_;
  const std::string key_id_;
};

// Signs with a key in memory (OpenSSL keeps it in its secure heap).
class Ed25519Signer final : public SignerBase {
 public:
  Ed25519Signer(PkeyPtr key, std::string public_pem, std::string key_id)
      : SignerBase(std::move(public_pem), std::move(key_id)),
        key_(std::move(key)) {}

  std::string SignBytes(absl::string_view text) const override {
    unsigned char signature[64];
    size_t length = sizeof(signature);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (ctx &&
        EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) ==
            1 &&
        EVP_DigestSign(ctx.get(), signature, &length,
                       reinterpret_cast<const unsigned char*>(text.data()),
                       text.size()) == 1) {
      return std::string(reinterpret_cast<const char*>(signature), length);
    }
    return "";
  }

 private:
  const PkeyPtr key_;
};

// Signs in a PKCS#11 token: the private key never leaves it.
class TokenSigner final : public SignerBase {
 public:
  TokenSigner(std::shared_ptr<Pkcs11Token> token, Pkcs11Token::Handle key,
              std::string public_pem, std::string key_id)
      : SignerBase(std::move(public_pem), std::move(key_id)),
        token_(std::move(token)),
        key_(key) {}

  std::string SignBytes(absl::string_view text) const override {
    return token_->Sign(key_, text).value_or("");
  }

 private:
  const std::shared_ptr<Pkcs11Token> token_;
  const Pkcs11Token::Handle key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::InToken(
    std::shared_ptr<Pkcs11Token> token, const std::string& label,
    const std::string& public_key_file) {
  absl::StatusOr<std::optional<Pkcs11Token::Handle>> found =
      token->FindPrivateKey(label);
  if (!found.ok()) return found.status();
  Pkcs11Token::Handle key;
  if (found->has_value()) {
    key = **found;
  } else {
    absl::StatusOr<Pkcs11Token::Handle> made = token->GenerateEd25519Key(label);
    if (!made.ok()) return made.status();
    key = *made;
  }
  absl::StatusOr<std::string> raw = token->Ed25519PublicKey(label);
  if (!raw.ok()) return raw.status();
  PkeyPtr public_key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(raw->data()), raw->size()));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!public_key || !out ||
      PEM_write_bio_PUBKEY(out.get(), public_key.get()) != 1) {
    return absl::InternalError("cannot export the audit public key");
  }
  std::string public_pem = BioContents(out.get());
  if (absl::Status written =
          WriteFile(public_key_file, public_pem, 0644, /*exclusive=*/false);
      !written.ok()) {
    return written;
  }
  absl::StatusOr<std::string> key_id = CheckpointKeyId(public_pem);
  if (!key_id.ok()) return key_id.status();
  return std::unique_ptr<CheckpointSigner>(new TokenSigner(
      std::move(token), key, std::move(public_pem), *std::move(key_id)));
}

absl::StatusOr<std::unique_ptr<CheckpointSigner>>
CheckpointSigner::OpenOrCreate(const std::string& key_file,
                               const std::string& public_key_file) {
  if (::access(key_file.c_str(), F_OK) != 0) {
    if (absl::Status created = CreateKey(key_file); !created.ok())
      return created;
  }
  struct stat st;
  if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", key_file,
        " must exist and be readable by the hub user only (mode 0600)"));
  }
  absl::StatusOr<std::string> pem = ReadFileToString(key_file);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", key_file, " is not an Ed25519 private key"));
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1)
    return absl::InternalError("cannot export the audit public key");
  std::string public_pem = BioContents(out.get());
  if (absl::Status written =
          WriteFile(public_key_file, public_pem, 0644, /*exclusive=*/false);
      !written.ok()) {
    return written;
  }
  absl::StatusOr<std::string> key_id = CheckpointKeyId(public_pem);
  if (!key_id.ok()) return key_id.status();
  return std::unique_ptr<CheckpointSigner>(new Ed25519Signer(
      std::move(key), std::move(public_pem), *std::move(key_id)));
}

}  // namespace ketenhub
