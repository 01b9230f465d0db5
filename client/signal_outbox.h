#ifndef KETENHUB_CLIENT_SIGNAL_OUTBOX_H_
#define KETENHUB_CLIENT_SIGNAL_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/signal_client.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

// A partner system's durable outbox in front of the hub: Enqueue returns once
// the signal is fsynced as a file in a local folder (queue/, one file per
// signal, written to a temporary file and renamed), and a background thread
// submits the queue in order, retrying with backoff for as long as the hub
// is unreachable. It survives restarts of the partner's process: what is
// still queued is sent after Open. Resending is safe because the hub is
// idempotent on client_ref. Thread-safe.
class SignalOutbox {
 public:
  struct Options {
    std::string path;      // the outbox's own folder (created 0700)
    ClientOptions client;  // how to reach the hub
    absl::Duration max_backoff = absl::Seconds(30);
  };

  // Called on the sender thread for every signal that left the outbox: the
  // hub's receipt, or a refusal that retrying cannot cure (INVALID_ARGUMENT,
  // PERMISSION_DENIED, ALREADY_EXISTS, UNAUTHENTICATED, ...); refused signals
  // are kept in the outbox's dead-letters/ folder for inspection.
  using OutcomeHandler = std::function<void(
      const std::string& client_ref, const absl::StatusOr<v1::Receipt>&)>;

  // Opens (creating if needed) the outbox and starts sending what it holds.
  // FAILED_PRECONDITION naming a certificate file or the folder on trouble,
  // also for a folder an earlier, RocksDB-based outbox left.
  static absl::StatusOr<std::unique_ptr<SignalOutbox>> Open(
      Options options, OutcomeHandler on_outcome = nullptr);

  virtual ~SignalOutbox() = default;  // stops sending; the queue stays

  // Gives `signal` a client_ref when it has none and queues it durably;
  // returns the client_ref. UNAVAILABLE when the local disk fails.
  virtual absl::StatusOr<std::string> Enqueue(v1::Signal signal) = 0;

  // Waits until the queue is empty and every outcome was handed to the
  // handler: OK, or DEADLINE_EXCEEDED at `deadline`.
  virtual absl::Status Flush(absl::Time deadline) = 0;

  // Signals still queued.
  virtual uint64_t pending() const = 0;

  // The hub's audit trail as this outbox saw it. The outbox keeps the
  // newest checkpoint the hub sent in its folder (file "checkpoint"), and
  // after each round of deliveries that brought a newer one asks the hub to
  // prove that it extends the kept one (SignalClient::VerifyContinuity).
  // DATA_LOSS, naming the sizes, once the trail was seen rolled back or
  // forked, also across restarts of the partner's process; the kept file
  // then stays as it was, for the inquiry.
  virtual absl::Status CheckpointContinuity() const = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_SIGNAL_OUTBOX_H_
