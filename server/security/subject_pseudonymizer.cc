#include "server/security/subject_pseudonymizer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/common/files.h"
#include "server/common/identifiers.h"
#include "server/policy/subject_identifiers.h"

namespace ketenhub {
namespace {

absl::Status CreateKeyFile(const std::string& path) {
  std::string key(SubjectPseudonymizer::kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 1) {
    return absl::InternalError("random generator failed");
  }
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create key file ", path, ": ", std::strerror(errno)));
  }
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(key.data(), key.size());
  if (!written) {
    ::unlink(path.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write key file ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read key file ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  std::string key(SubjectPseudonymizer::kKeyBytes, '\0');
  const bool ok =
      ::fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(key.size()) &&
      ::read(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  ::close(fd);
  if (!ok) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " must hold exactly ", key.size(), " bytes"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path,
                     " must be readable by the hub user only (mode 0600)"));
  }
  return key;
}

// "bsn:<9 digits>" or "person:<lower-case name, single spaces>|<YYYY-MM-DD>".
absl::StatusOr<std::string> StrongIdentifier(const v1::Subject& subject) {
  if (subject.has_person()) {
    std::string name = absl::AsciiStrToLower(subject.person().name());
    std::vector<absl::string_view> words =
        absl::StrSplit(name, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    return absl::StrCat("person:", absl::StrJoin(words, " "), "|",
                        subject.person().date_of_birth());
  }
  std::optional<std::string> bsn = CanonicalBsn(subject.bsn());
  if (!bsn) {
    return absl::InvalidArgumentError(
        "subject: bsn or person required (not a weak identifier)");
  }
  return absl::StrCat("bsn:", *bsn);
}

std::string HmacSha256(absl::string_view key, absl::string_view identifier) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(identifier.data()),
       identifier.size(), mac, &mac_length);
  return std::string(reinterpret_cast<const char*>(mac), mac_length);
}

}  // namespace

absl::Status SubjectPseudonymizer::ComputeKeyCheck() {
  static constexpr char kLabel[] = "ketenhub pseudonym key check v1";
  absl::StatusOr<std::string> mac = mac_(kLabel);
  if (!mac.ok()) return mac.status();
  key_check_ = absl::BytesToHexString(*mac);
  return absl::OkStatus();
}

absl::Status SubjectPseudonymizer::LoadPreviousKeys(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> listed = ListFolder(dir);
  if (!listed.ok()) return listed.status();
  std::vector<std::string> files = *std::move(listed);
  std::sort(files.rbegin(), files.rend());  // newest (by name) first
  for (const std::string& file : files) {
    absl::StatusOr<std::string> old = ReadKeyFile(file);
    if (!old.ok()) return old.status();
    absl::StatusOr<std::shared_ptr<const SecretBytes>> locked =
        SecretBytes::Copy(*old);
    OPENSSL_cleanse(old->data(), old->size());
    if (!locked.ok()) return locked.status();
    previous_.push_back(*std::move(locked));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>>
SubjectPseudonymizer::InToken(std::shared_ptr<Pkcs11Token> token,
                              const std::string& label,
                              const std::string& previous_dir) {
  absl::StatusOr<std::optional<Pkcs11Token::Handle>> found =
      token->FindSecretKey(label);
  if (!found.ok()) return found.status();
  Pkcs11Token::Handle key;
  if (found->has_value()) {
    key = **found;
  } else {
    absl::StatusOr<Pkcs11Token::Handle> made = token->GenerateHmacKey(label);
    if (!made.ok()) return made.status();
    key = *made;
  }
  std::unique_ptr<SubjectPseudonymizer> pseudonymizer(new SubjectPseudonymizer(
      [token = std::move(token), key](absl::string_view data) {
        return token->Hmac(key, data);
      }));
  if (absl::Status check = pseudonymizer->ComputeKeyCheck(); !check.ok())
    return check;
  if (absl::Status previous = pseudonymizer->LoadPreviousKeys(previous_dir);
      !previous.ok()) {
    return previous;
  }
  return pseudonymizer;
}

absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>>
SubjectPseudonymizer::OpenOrCreate(const std::string& key_file) {
  if (::access(key_file.c_str(), F_OK) != 0) {
    if (absl::Status created = CreateKeyFile(key_file); !created.ok()) {
      return created;
    }
  }
  absl::StatusOr<std::string> key = ReadKeyFile(key_file);
  if (!key.ok()) return key.status();
  // In locked memory, wiped when the last user lets go of it.
  absl::StatusOr<std::shared_ptr<const SecretBytes>> held =
      SecretBytes::Copy(*key);
  OPENSSL_cleanse(key->data(), key->size());
  if (!held.ok()) return held.status();
  std::unique_ptr<SubjectPseudonymizer> pseudonymizer(new SubjectPseudonymizer(
      [held = *std::move(held)](
          absl::string_view data) -> absl::StatusOr<std::string> {
        return HmacSha256(held->view(), data);
      }));
  if (absl::Status check = pseudonymizer->ComputeKeyCheck(); !check.ok())
    return check;
  if (absl::Status previous =
          pseudonymizer->LoadPreviousKeys(PreviousKeyDir(key_file));
      !previous.ok()) {
    return previous;
  }
  return pseudonymizer;
}

absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>>
SubjectPseudonymizer::OpenForHub(const std::string& key_dir,
                                 std::shared_ptr<Pkcs11Token> token) {
  const std::string key_file = key_dir + "/pseudonym.key";
  if (token == nullptr) return OpenOrCreate(key_file);
  return InToken(std::move(token), kTokenPseudonymLabel,
                 PreviousKeyDir(key_file));
}

std::string SubjectPseudonymizer::PreviousKeyDir(const std::string& key_file) {
  return (std::filesystem::path(key_file).parent_path() / "pseudonym-previous")
      .string();
}

absl::StatusOr<std::string> SubjectPseudonymizer::CreateNextKey(
    const std::string& key_file) {
  const std::string next = key_file + ".next";
  ::unlink(next.c_str());
  if (absl::Status created = CreateKeyFile(next); !created.ok()) return created;
  return next;
}

absl::Status SubjectPseudonymizer::AdoptNextKey(const std::string& key_file,
                                                absl::string_view label) {
  const std::string dir = PreviousKeyDir(key_file);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || ::chmod(dir.c_str(), 0700) != 0 ||
      std::rename(key_file.c_str(),
                  absl::StrCat(dir, "/", label, ".key").c_str()) != 0 ||
      std::rename((key_file + ".next").c_str(), key_file.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot move the pseudonym keys in ", dir));
  }
  return absl::OkStatus();
}

std::vector<std::string> SubjectPseudonymizer::EarlierSubjectKeys(
    const v1::Subject& subject) const {
  std::vector<std::string> keys;
  absl::StatusOr<std::string> identifier = StrongIdentifier(subject);
  if (!identifier.ok()) return keys;
  for (const std::shared_ptr<const SecretBytes>& key : previous_)
    keys.push_back(HmacSha256(key->view(), *identifier));
  OPENSSL_cleanse(identifier->data(), identifier->size());
  return keys;
}

SubjectPseudonymizer::~SubjectPseudonymizer() = default;

absl::StatusOr<std::string> SubjectPseudonymizer::SubjectKey(
    const v1::Subject& subject) const {
  absl::StatusOr<std::string> identifier = StrongIdentifier(subject);
  if (!identifier.ok()) return identifier.status();
  absl::StatusOr<std::string> mac = mac_(*identifier);
  OPENSSL_cleanse(identifier->data(), identifier->size());
  return mac;
}

absl::StatusOr<std::string> SubjectPseudonymizer::LookupKey(
    const v1::Subject& subject) const {
  if (subject.identifiers().empty()) return SubjectKey(subject);
  if (HasStrongIdentifier(subject) || subject.identifiers_size() > 1) {
    return absl::InvalidArgumentError(
        "subject: a BSN, a name with date of birth, or one identifier");
  }
  absl::StatusOr<std::string> normal =
      NormalisedIdentifier(subject.identifiers(0));
  if (!normal.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject.identifiers[0].", normal.status().message()));
  }
  absl::StatusOr<std::string> key = mac_(*normal);
  OPENSSL_cleanse(normal->data(), normal->size());
  return key;
}

bool SubjectPseudonymizer::HasStrongIdentifier(const v1::Subject& subject) {
  return subject.identifier_case() != v1::Subject::IDENTIFIER_NOT_SET;
}

absl::StatusOr<std::string> SubjectPseudonymizer::NewPersonKey() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 1) {
    return absl::InternalError("random generator failed");
  }
  return key;
}

absl::StatusOr<std::vector<v1::storage::IdentifierKey>>
SubjectPseudonymizer::IdentifierKeys(const v1::Subject& subject) const {
  std::vector<v1::storage::IdentifierKey> keys;
  for (const v1::Identifier& identifier : subject.identifiers()) {
    absl::StatusOr<std::string> normal = NormalisedIdentifier(identifier);
    if (!normal.ok()) continue;  // validated before; nothing to key
    v1::storage::IdentifierKey& key = keys.emplace_back();
    key.set_kind(KindOf(identifier));
    absl::StatusOr<std::string> mac = mac_(*normal);
    OPENSSL_cleanse(normal->data(), normal->size());
    if (!mac.ok()) return mac.status();
    key.set_key(*std::move(mac));
  }
  return keys;
}

}  // namespace ketenhub
