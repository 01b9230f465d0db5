#ifndef KETENHUB_CLIENT_SIGNAL_CLIENT_H_
#define KETENHUB_CLIENT_SIGNAL_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ketenhub/v1/signal.grpc.pb.h"

namespace ketenhub {

// How to reach the hub, and how patiently. Shared by every client.
struct ClientOptions {
  std::string target = "127.0.0.1:50051";  // host:port of the hub
  std::string
      cert_file;         // the partner's client certificate (PEM), with its OIN
  std::string key_file;  // its private key (PEM)
  std::string ca_file;   // the CA that signed the hub's certificate (PEM)
  absl::Duration attempt_deadline = absl::Seconds(10);  // per attempt
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  int channel_id = 0;  // channels with different ids use separate connections
  // The person this organisation acts for, sent with every call (gRPC
  // metadata keten-user, keten-user-role, keten-user-name): the employee's
  // id in the organisation's own numbering (never a BSN) and their
  // function. Required by the policy for people's calls (reading, deciding,
  // auditing, operating); partner systems that only submit leave it empty.
  std::string user_id;
  std::string user_role;
  std::string user_name;  // optional
  // The hub's audit public key (PEM: the hub's keys/audit-signing.pub, as its
  // operator hands it out). With it, SignalClient checks the signature of
  // every checkpoint the hub sends; a bad one is DATA_LOSS in
  // CheckpointContinuity(). Empty: sizes and roots are still compared.
  std::string audit_public_key_file;
};
using SignalClientOptions = ClientOptions;

// Reads the certificate files and makes a mutual-TLS channel to the hub,
// whose every call names `options.user_id` when set. FAILED_PRECONDITION
// naming a file that cannot be read; INVALID_ARGUMENT for a user without a
// role.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeHubChannel(
    const ClientOptions& options);

// Runs `call` (one attempt, given a fresh context with the attempt deadline)
// until it succeeds or fails with other than UNAVAILABLE/DEADLINE_EXCEEDED,
// at most options.max_attempts times, with exponential backoff and jitter.
absl::Status CallWithRetries(
    const ClientOptions& options,
    const std::function<grpc::Status(grpc::ClientContext*)>& call);

// Converts a gRPC status to absl::Status, keeping code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// A partner system's connection to the hub's SignalService over mutual TLS.
// Thread-safe: one client serves many threads.
//
// Failures come back as absl::Status with the hub's gRPC code and message:
// UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (names the field),
// ALREADY_EXISTS, NOT_FOUND, RESOURCE_EXHAUSTED, and UNAVAILABLE or
// DEADLINE_EXCEEDED once the retries are spent.
class SignalClient {
 public:
  // Reads the certificate files and sets up the channel; connecting happens
  // on the first call. FAILED_PRECONDITION naming a file that cannot be read.
  static absl::StatusOr<std::unique_ptr<SignalClient>> Connect(
      const SignalClientOptions& options);

  SignalClient(const SignalClient&) = delete;
  SignalClient& operator=(const SignalClient&) = delete;

  // Submits `signal` and returns the hub's receipt, which means the signal is
  // on the hub's disk. Gives the signal a random client_ref when it has none
  // (the receipt echoes it). Retries UNAVAILABLE and DEADLINE_EXCEEDED with
  // exponential backoff and jitter; retrying is safe because the hub is
  // idempotent on client_ref.
  absl::StatusOr<v1::Receipt> Submit(v1::Signal signal);

  // Reports progress of SubmitBatch: signals answered so far, of `total`.
  using BatchProgress = std::function<void(size_t answered, size_t total)>;

  // Submits many signals over SubmitBatch streams, many per fsync, and
  // returns one outcome per signal, in the order given: its receipt, or the
  // hub's refusal of that signal (INVALID_ARGUMENT naming the field,
  // PERMISSION_DENIED, ALREADY_EXISTS, ...). Gives signals without a
  // client_ref a random one. Signals the hub's submit rate turned away are
  // sent again after the wait it asked for. When a stream breaks
  // (UNAVAILABLE), a new one carries what has no answer yet, at most
  // options.max_attempts times in a row without progress; what is still
  // unanswered then gets that error. Safe, because the hub is idempotent on
  // client_ref. A stream has no deadline: keepalive notices a dead hub.
  std::vector<absl::StatusOr<v1::Receipt>> SubmitBatch(
      std::vector<v1::Signal> signals, const BatchProgress& progress = {});

  // The state of one of this partner's own signals (NOT_FOUND otherwise).
  // Retried as Submit.
  absl::StatusOr<v1::SignalStatus> GetStatus(absl::string_view signal_id);

  // Withdraws one of this partner's own signals with a reason (no personal
  // data). FAILED_PRECONDITION when already withdrawn. Retried as Submit.
  absl::StatusOr<v1::SignalStatus> Withdraw(absl::string_view signal_id,
                                            absl::string_view reason);

  // The audit trail as this partner saw it: receipts and statuses carry the
  // hub's newest signed checkpoint. The largest tree seen, or nullopt.
  std::optional<v1::SignedCheckpoint> NewestCheckpoint() const;
  // DATA_LOSS, naming both sizes, once the hub sent a checkpoint of a
  // smaller tree than one it sent before (the log was rolled back, e.g. an
  // older backup restored), or two of one size with different roots (a
  // fork); OK otherwise. Keep NewestCheckpoint across restarts and give it
  // to Remember() to notice a rollback between runs too.
  absl::Status CheckpointContinuity() const;
  void Remember(const v1::SignedCheckpoint& checkpoint);
  // Asks the hub to prove (RFC 6962 consistency proof) that the newest
  // checkpoint seen extends the one proven before (at first: the one given
  // to Remember(), else the first seen), and moves that base up. DATA_LOSS
  // when it does not: the log was rolled back and regrown, or forked; from
  // then on CheckpointContinuity() says so too. Call it now and then (the
  // outbox does after each delivery that brought a newer checkpoint);
  // UNAVAILABLE and the like when the hub cannot be asked.
  absl::Status VerifyContinuity();

 private:
  void Observe(const v1::SignedCheckpoint& checkpoint);

  SignalClient(const SignalClientOptions& options,
               std::shared_ptr<grpc::Channel> channel,
               std::string audit_public_key);

  const SignalClientOptions options_;
  const std::unique_ptr<v1::SignalService::Stub> stub_;
  const std::string audit_public_key_;  // PEM, or empty
  mutable absl::Mutex checkpoint_mu_;
  std::optional<v1::SignedCheckpoint> newest_ ABSL_GUARDED_BY(checkpoint_mu_);
  // The base VerifyContinuity proves from.
  std::optional<v1::SignedCheckpoint> proven_ ABSL_GUARDED_BY(checkpoint_mu_);
  absl::Status continuity_ ABSL_GUARDED_BY(checkpoint_mu_);
};

// A fresh random client_ref ("kh-" and 32 hex digits).
std::string NewClientRef();

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_SIGNAL_CLIENT_H_
