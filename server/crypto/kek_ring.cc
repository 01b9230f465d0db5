#include "server/crypto/kek_ring.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/common/core_dumps.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/crypto/aead.h"

namespace ketenhub {
namespace {

constexpr char kCurrentFile[] = "current";
constexpr char kKeySuffix[] = ".key";

std::string AssociatedData(absl::string_view signal_id,
                           absl::string_view data_key_id,
                           absl::string_view kek_id) {
  return absl::StrCat(signal_id, absl::string_view("\0", 1), data_key_id,
                      absl::string_view("\0", 1), kek_id);
}

// Writes `contents` to `path` durably: temporary file, fsync, rename.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode) {
  const std::string temporary = path + ".tmp";
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  const bool ok = ::write(fd, contents.data(), contents.size()) ==
                      static_cast<ssize_t>(contents.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

std::string NewKekId() {
  return absl::StrCat(
      "kek-", absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()), "-",
      absl::BytesToHexString(aead::RandomBytes(3)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KekRing>> KekRing::OpenOrCreate(
    const std::string& dir, std::shared_ptr<Pkcs11Token> token) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || ::chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create key folder ", dir));
  }
  std::unique_ptr<KekRing> ring(new KekRing(dir, std::move(token)));
  if (absl::Status loaded = ring->Load(); !loaded.ok()) return loaded;
  bool empty;
  {
    absl::MutexLock lock(&ring->mu_);
    empty = ring->keys_.empty() && ring->token_keys_.empty();
  }
  if (empty) {
    absl::StatusOr<std::string> first = ring->Rotate();
    if (!first.ok()) return first.status();
  }
  return ring;
}

KekRing::~KekRing() { absl::MutexLock lock(&mu_); }

absl::StatusOr<std::map<std::string, Pkcs11Token::Handle>>
KekRing::LoadFromToken() {
  std::map<std::string, Pkcs11Token::Handle> keys;
  if (token_ == nullptr) return keys;
  const std::string prefix = absl::StrCat(kTokenKekLabelPrefix, "kek-");
  absl::StatusOr<std::vector<std::string>> labels =
      token_->SecretKeyLabels(prefix);
  if (!labels.ok()) return labels.status();
  for (const std::string& label : *labels) {
    absl::StatusOr<std::optional<Pkcs11Token::Handle>> handle =
        token_->FindSecretKey(label);
    if (!handle.ok()) return handle.status();
    if (handle->has_value())
      keys[std::string(absl::StripPrefix(label, kTokenKekLabelPrefix))] =
          **handle;
  }
  return keys;
}

absl::Status KekRing::Load() {
  absl::StatusOr<std::map<std::string, Pkcs11Token::Handle>> in_token =
      LoadFromToken();
  if (!in_token.ok()) return in_token.status();
  std::map<std::string, std::shared_ptr<const SecretBytes>> keys;
  absl::StatusOr<std::vector<std::string>> entries = ListFolder(dir_);
  if (!entries.ok()) return entries.status();
  for (const std::string& path : *entries) {
    const std::string name = std::filesystem::path(path).filename().string();
    if (!absl::EndsWith(name, kKeySuffix)) continue;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", path,
                       " must be readable by the hub user only (mode 0600)"));
    }
    absl::StatusOr<std::string> key = ReadFileToString(path);
    if (!key.ok() || key->size() != aead::kKeyBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", path, " must hold exactly 32 bytes"));
    }
    absl::StatusOr<std::shared_ptr<const SecretBytes>> locked =
        SecretBytes::Copy(*key);
    OPENSSL_cleanse(key->data(), key->size());
    if (!locked.ok()) return locked.status();
    keys[std::string(absl::StripSuffix(name, kKeySuffix))] = *std::move(locked);
  }
  std::string current;
  if (!keys.empty() || !in_token->empty()) {
    absl::StatusOr<std::string> named =
        ReadFileToString(absl::StrCat(dir_, "/", kCurrentFile));
    current = named.ok() ? std::string(absl::StripAsciiWhitespace(*named)) : "";
    if (!keys.contains(current) && !in_token->contains(current)) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir_, "/", kCurrentFile,
                       " must name one of the key files or the token's KEKs"));
    }
  }
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  token_keys_ = *std::move(in_token);
  current_ = std::move(current);
  return absl::OkStatus();
}

std::string KekRing::current_id() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::vector<std::string> KekRing::ids() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, key] : keys_) ids.push_back(id);
  for (const auto& [id, handle] : token_keys_) ids.push_back(id);
  return ids;
}

absl::StatusOr<v1::storage::WrappedDataKey> KekRing::Wrap(
    absl::string_view signal_id, absl::string_view data_key_id,
    absl::string_view key) const {
  std::string kek_id;
  std::shared_ptr<const SecretBytes> kek;
  std::optional<Pkcs11Token::Handle> in_token;
  {
    absl::MutexLock lock(&mu_);
    kek_id = current_;
    if (auto it = token_keys_.find(current_); it != token_keys_.end()) {
      in_token = it->second;
    } else {
      kek = keys_.at(current_);
    }
  }
  v1::storage::WrappedDataKey wrapped;
  wrapped.set_kek_id(kek_id);
  wrapped.set_data_key_id(std::string(data_key_id));
  wrapped.set_nonce(aead::RandomBytes(aead::kNonceBytes));
  const std::string associated = AssociatedData(signal_id, data_key_id, kek_id);
  absl::StatusOr<std::string> sealed =
      in_token ? token_->Seal(*in_token, wrapped.nonce(), key, associated)
               : aead::Seal(kek->view(), wrapped.nonce(), key, associated);
  if (!sealed.ok()) return sealed.status();
  wrapped.set_ciphertext(*std::move(sealed));
  return wrapped;
}

absl::StatusOr<std::string> KekRing::Unwrap(
    absl::string_view signal_id,
    const v1::storage::WrappedDataKey& wrapped) const {
  std::shared_ptr<const SecretBytes> kek;
  std::optional<Pkcs11Token::Handle> in_token;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = token_keys_.find(wrapped.kek_id()); it != token_keys_.end()) {
      in_token = it->second;
    } else if (auto file = keys_.find(wrapped.kek_id()); file != keys_.end()) {
      kek = file->second;
    } else {
      return absl::FailedPreconditionError(absl::StrCat(
          "key-encryption key ", wrapped.kek_id(), " is not in the key dir",
          token_ ? " or the token" : ""));
    }
  }
  const std::string associated =
      AssociatedData(signal_id, wrapped.data_key_id(), wrapped.kek_id());
  absl::StatusOr<std::string> key =
      in_token ? token_->Open(*in_token, wrapped.nonce(), wrapped.ciphertext(),
                              associated)
               : aead::Open(kek->view(), wrapped.nonce(), wrapped.ciphertext(),
                            associated);
  return key;
}

absl::StatusOr<std::string> KekRing::Rotate() {
  const std::string id = NewKekId();
  if (token_ != nullptr) {
    absl::StatusOr<Pkcs11Token::Handle> made =
        token_->GenerateAesKey(absl::StrCat(kTokenKekLabelPrefix, id));
    if (!made.ok()) return made.status();
    absl::Status current =
        WriteFileAtomically(absl::StrCat(dir_, "/", kCurrentFile), id, 0600);
    if (!current.ok()) return current;
    absl::MutexLock lock(&mu_);
    token_keys_[id] = *made;
    current_ = id;
    return id;
  }
  std::string key = aead::RandomBytes(aead::kKeyBytes);
  if (key.size() != aead::kKeyBytes)
    return absl::InternalError("random generator failed");
  absl::Status written =
      WriteFileAtomically(absl::StrCat(dir_, "/", id, kKeySuffix), key, 0600);
  if (written.ok()) {
    written =
        WriteFileAtomically(absl::StrCat(dir_, "/", kCurrentFile), id, 0600);
  }
  absl::StatusOr<std::shared_ptr<const SecretBytes>> locked =
      SecretBytes::Copy(key);
  OPENSSL_cleanse(key.data(), key.size());
  if (!written.ok()) return written;
  if (!locked.ok()) return locked.status();
  absl::MutexLock lock(&mu_);
  keys_[id] = *std::move(locked);
  current_ = id;
  return id;
}

}  // namespace ketenhub
