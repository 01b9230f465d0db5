#ifndef KETENHUB_SERVER_SECURITY_SUBJECT_PSEUDONYMIZER_H_
#define KETENHUB_SERVER_SECURITY_SUBJECT_PSEUDONYMIZER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ketenhub/v1/signal.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/common/core_dumps.h"
#include "server/crypto/pkcs11_token.h"

namespace ketenhub {

// Turns a data subject's identifier into its subject key: HMAC-SHA256 of the
// normalised identifier under the hub's pseudonym key. Equal persons (same
// BSN, or same name and date of birth) give equal keys; the key reveals
// nothing without the pseudonym key. Thread-safe after construction.
class SubjectPseudonymizer {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Reads the pseudonym key from `key_file`, or creates the file with a fresh
  // random key (mode 0600, fsynced) when it does not exist. Fails with
  // FAILED_PRECONDITION when the file has the wrong size or is readable by
  // anyone but its owner.
  static absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> OpenOrCreate(
      const std::string& key_file);
  // The HMAC key labelled `label` in `token` (made there on first start,
  // never extractable): every pseudonym is computed by the token. Keys from
  // before a re-keying stay files in `previous_dir` (for lookups of older
  // records only).
  static absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> InToken(
      std::shared_ptr<Pkcs11Token> token, const std::string& label,
      const std::string& previous_dir);
  // The hub's: InToken(token, kTokenPseudonymLabel, ...) with a token, else
  // OpenOrCreate(key_dir/pseudonym.key); earlier keys from key_dir.
  static absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> OpenForHub(
      const std::string& key_dir, std::shared_ptr<Pkcs11Token> token);

  SubjectPseudonymizer(const SubjectPseudonymizer&) = delete;
  SubjectPseudonymizer& operator=(const SubjectPseudonymizer&) = delete;
  ~SubjectPseudonymizer();

  // Returns the 32-byte subject key of a validated `subject`'s strong
  // identifier (BSN, or name with date of birth). Fails with
  // INVALID_ARGUMENT when it has none (HasStrongIdentifier).
  absl::StatusOr<std::string> SubjectKey(const v1::Subject& subject) const;

  // The key to find a subject's signals by, for the rights and the audit
  // trail: its subject key (a BSN or name), or, for a subject of exactly
  // one weak identifier, that identifier's key (the signals carrying it).
  // INVALID_ARGUMENT naming the field for anything else (both, several
  // identifiers, a malformed one).
  absl::StatusOr<std::string> LookupKey(const v1::Subject& subject) const;

  // Whether `subject` names a person (BSN, or name with date of birth); a
  // subject of weak identifiers alone does not, and its signal gets a
  // random subject key of its own (NewPersonKey).
  static bool HasStrongIdentifier(const v1::Subject& subject);
  // 32 random bytes: a subject key that stands for no identifier.
  static absl::StatusOr<std::string> NewPersonKey();

  // The pseudonyms of a validated `subject`'s weak identifiers, in order
  // (HMAC-SHA256 of "kind:normal form", subject_identifiers.h). Equal
  // identifiers of one kind, however written, give equal keys; they never
  // equal a subject key (other prefixes).
  // UNAVAILABLE when a token cannot compute them.
  absl::StatusOr<std::vector<v1::storage::IdentifierKey>> IdentifierKeys(
      const v1::Subject& subject) const;

  // A value that identifies the key without revealing it (hex HMAC of a
  // fixed label): stored with the data so that the hub notices a key that
  // is not the one the data was written with.
  const std::string& KeyCheck() const { return key_check_; }

  // The subject's keys under earlier pseudonym keys (kept in
  // keys/pseudonym-previous/ after a re-keying), newest first: audit records
  // written before the re-keying carry those.
  std::vector<std::string> EarlierSubjectKeys(const v1::Subject& subject) const;

  // Re-keying (hub stopped): CreateNextKey writes a new key next to
  // `key_file` and returns its path; once the data is re-keyed, AdoptNextKey
  // moves the current key to pseudonym-previous/<label>.key and the new one
  // into place.
  static absl::StatusOr<std::string> CreateNextKey(const std::string& key_file);
  static absl::Status AdoptNextKey(const std::string& key_file,
                                   absl::string_view label);
  static std::string PreviousKeyDir(const std::string& key_file);

 private:
  // HMAC-SHA256 under the current key (in memory or in a token).
  using Mac = std::function<absl::StatusOr<std::string>(absl::string_view)>;
  explicit SubjectPseudonymizer(Mac mac) : mac_(std::move(mac)) {}
  // Computes key_check_; UNAVAILABLE when the MAC fails.
  absl::Status ComputeKeyCheck();
  // Reads the earlier keys in `dir` (if it exists), newest first.
  absl::Status LoadPreviousKeys(const std::string& dir);

  const Mac mac_;
  std::string key_check_;
  std::vector<std::shared_ptr<const SecretBytes>> previous_;  // locked
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_SUBJECT_PSEUDONYMIZER_H_
