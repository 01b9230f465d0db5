#ifndef KETENHUB_SERVER_STORAGE_STORE_MAINTENANCE_H_
#define KETENHUB_SERVER_STORAGE_STORE_MAINTENANCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/signal.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/crypto/pkcs11_token.h"
#include "server/storage/subject_request_store.h"

namespace ketenhub {

// Signals to crypto-shred, for retention or for a person's erasure.
struct DestroyCommand {
  std::vector<std::string> signal_ids;
  // Also every signal of this subject (the subject index, as the commit
  // sees it; no content is read).
  std::string subject_key;
  // Erasure when set (rule "erasure: <reason>"; withdrawn events; one audit
  // record); else retention (each signal only when due at `as_of`; expired
  // events; one audit record per signal).
  std::string erasure_reason;
  absl::Time as_of;
  v1::AuditRecord audit;  // draft
  // Erasure only: the approved four-eyes request it runs on, taken (made
  // done) in the same batch; its refusal refuses the erasure.
  SubjectRequestChange request;
};

// Runs exactly once, on the commit pipeline's thread; must not block.
using DestroyCallback = absl::AnyInvocable<
    void(absl::StatusOr<std::vector<v1::storage::StoredSignal>>) &&>;

// The operator's side of a SignalStore: health, retention, key rotation,
// backups and the pseudonym key binding. Thread-safe.
class StoreMaintenance {
 public:
  virtual ~StoreMaintenance() = default;

  // False from a commit that could not be written until ProbeStorage
  // succeeds: readiness for the health service.
  virtual bool StorageWritable() const = 0;
  // Asks RocksDB to resume after a write error and makes one synced write of
  // a metadata key; when it lands, the store counts as writable again.
  // RocksDB resumes from some errors (such as a full disk during a flush);
  // after a failed write-ahead-log write it stays read-only until reopened,
  // so the probe keeps failing, with RocksDB's reason, until a restart.
  virtual absl::Status ProbeStorage() = 0;

  // Retention: the signals due for destruction at `as_of`, as stored
  // (content not decrypted). Scans every signal.
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> DueSignals(
      absl::Time as_of) const = 0;

  // Crypto-shreds: deletes each signal's data key and subject index entry,
  // leaves a tombstone that GetStatus reports, appends expired (retention) or
  // withdrawn (erasure) events and the audit records, in one batch.
  // Completes with the tombstones.
  virtual void Destroy(DestroyCommand command, DestroyCallback done) = 0;

  // Makes a new KEK current and re-wraps every data key under it, in batches
  // through the commit pipeline while other writes go on. Blocks until done:
  // call it from a worker thread. Returns the new KEK id and the number of
  // keys re-wrapped.
  struct Rotation {
    std::string kek_id;
    uint64_t rewrapped = 0;
    std::vector<std::string> unused_kek_ids;
  };
  virtual absl::StatusOr<Rotation> RotateKek() = 0;

  // Writes an online, consistent copy of the database to `dir` (which must
  // not exist) and verifies it: counts its signals and recomputes its audit
  // tree, checking stored checkpoints against `public_key_pem`.
  struct BackupInfo {
    uint64_t signals = 0;
    uint64_t audit_records = 0;
    std::string audit_root;
  };
  virtual absl::StatusOr<BackupInfo> Backup(
      const std::string& dir, absl::string_view public_key_pem) const = 0;

  // The ids of the key-encryption keys present, the current one first.
  virtual std::vector<std::string> KekIds() const = 0;
  // KEKs that wrap stored data keys but are not present (from a sample: the
  // first and the last data key). Empty when none is missing.
  // KEKs already declared lost (AcceptLostKeks) are not missing.
  virtual absl::StatusOr<std::vector<std::string>> MissingKekIds() const = 0;
  // Records (synced) that the KEKs `ids` are lost, so that the data keys
  // they wrap no longer stop a start: after the operator's explicit
  // --replace-lost-kek and its audit record.
  virtual absl::Status AcceptLostKeks(const std::vector<std::string>& ids) = 0;

  // Binds the data to the pseudonym key with this check value: stored on
  // first use; FAILED_PRECONDITION when the data was written under another
  // key (matching and audit lookups would silently break).
  virtual absl::Status BindPseudonymKey(absl::string_view key_check) = 0;
};

// Restores a backup made by StoreMaintenance::Backup into `db_dir` (which
// must not exist; the hub is stopped), then verifies the copy as Backup did.
absl::StatusOr<StoreMaintenance::BackupInfo> RestoreBackup(
    const std::string& backup_dir, const std::string& db_dir,
    absl::string_view public_key_pem);

// Appends `record` (complete) to the audit trail of the stopped hub's
// database at `db_path`, whose KEKs are in `kek_dir`: for the offline steps
// (restore, re-keying), so that they leave a trace. With `token`, the KEKs
// in it too.
absl::Status RecordOffline(const std::string& db_path,
                           const std::string& kek_dir, v1::AuditRecord record,
                           std::shared_ptr<Pkcs11Token> token = nullptr);

// Offline re-keying of subject pseudonyms (hub stopped): gives every stored
// signal the subject key `new_key(its subject)` (a subject of weak
// identifiers alone keeps its random key) and the identifier keys
// `new_identifier_keys(its subject)` (none when null), decrypting the
// subject with the KEKs in `kek_dir`; moves its subject index entries, and
// records `new_key_check` as the key the data is bound to. Returns the
// number of signals re-keyed. Interrupted, it leaves a mix: restore the
// backup taken before and run it again.
absl::StatusOr<uint64_t> RekeySubjects(
    const std::string& db_path, const std::string& kek_dir,
    const std::function<absl::StatusOr<std::string>(const v1::Subject&)>&
        new_key,
    absl::string_view new_key_check,
    const std::function<std::vector<v1::storage::IdentifierKey>(
        const v1::Subject&)>& new_identifier_keys = nullptr);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_STORE_MAINTENANCE_H_
