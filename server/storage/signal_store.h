#ifndef KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
#define KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/signal.pb.h"
#include "ketenhub/v1/storage.pb.h"

namespace ketenhub {

// One accepted, validated signal on its way to disk.
struct SubmitCommand {
  std::string partner_id;      // the source partner, from its certificate
  v1::Signal signal;           // validated by the caller
  std::string subject_key;     // the subject's pseudonym
  std::string policy_version;  // the policy it was accepted under
};

// Called exactly once per Submit with the receipt or the refusal. Runs on the
// commit pipeline's thread: it must not block.
using ReceiptCallback =
    absl::AnyInvocable<void(absl::StatusOr<v1::Receipt>) &&>;

// Durable storage of signals. Writes go through one commit pipeline that
// groups concurrent submits into one synced WriteBatch. Thread-safe.
class SignalStore {
 public:
  struct Options {
    std::string path;             // the RocksDB directory
    size_t max_group_size = 256;  // submits per WriteBatch
  };

  // Opens (creating if needed) the store and starts its commit pipeline.
  // Fails with UNAVAILABLE, DATA_LOSS or FAILED_PRECONDITION (foreign schema).
  static absl::StatusOr<std::unique_ptr<SignalStore>> Open(
      const Options& options);

  virtual ~SignalStore() = default;

  // Queues `command`. `done` gets the receipt once the signal and its
  // idempotency record are fsynced; a replay of the partner's client_ref
  // with equal content gets the original receipt. Errors: ALREADY_EXISTS
  // (client_ref used before for other content), UNAVAILABLE (storage trouble
  // or store closed; nothing was written).
  virtual void Submit(SubmitCommand command, ReceiptCallback done) = 0;

  // Returns `partner_id`'s own signal `signal_id`. NOT_FOUND both for unknown
  // ids and for other partners' signals; UNAVAILABLE or DATA_LOSS on trouble.
  virtual absl::StatusOr<v1::storage::StoredSignal> GetOwnSignal(
      absl::string_view partner_id, absl::string_view signal_id) const = 0;

  // Commits everything queued, stops the pipeline and closes the database.
  // Later Submits are refused with UNAVAILABLE. Idempotent.
  virtual void Close() = 0;
};

// SHA-256 over the deterministic encoding of `signal`: equal for equal content.
std::string SignalContentHash(const v1::Signal& signal);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
