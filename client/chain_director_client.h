#ifndef KETENHUB_CLIENT_CHAIN_DIRECTOR_CLIENT_H_
#define KETENHUB_CLIENT_CHAIN_DIRECTOR_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/signal_client.h"
#include "ketenhub/v1/chain_director.grpc.pb.h"

namespace ketenhub {

// The chain director's (ketenregisseur's) connection to the hub. Thread-safe,
// except that one Watch runs at a time per client.
class ChainDirectorClient {
 public:
  // As SignalClient::Connect.
  static absl::StatusOr<std::unique_ptr<ChainDirectorClient>> Connect(
      const ClientOptions& options);

  // Receives events in cursor order and hands each to `handler`; after the
  // handler returns true the event is acked, so a later Watch (from this or
  // another process) resumes after it. Reconnects with backoff when the hub is
  // unreachable or restarts, resuming after the last acked event. Starts after
  // `from_cursor` when given, else after the identity's last ack. Returns OK
  // when `handler` returns false or Cancel() is called; otherwise the first
  // error that retrying cannot cure (PERMISSION_DENIED, ...). Delivery is
  // at-least-once: an event whose ack was lost comes again.
  absl::Status Watch(const std::function<bool(const v1::Event&)>& handler,
                     std::optional<uint64_t> from_cursor = std::nullopt);

  // Makes a running Watch return OK soon. Thread-safe.
  void Cancel();

  absl::StatusOr<uint64_t> Ack(uint64_t cursor);
  absl::StatusOr<v1::ReleasedSignal> GetSignal(absl::string_view signal_id);
  absl::StatusOr<v1::ReleasedSignal> Release(absl::string_view signal_id,
                                             v1::DataKind kind,
                                             absl::string_view legal_basis);
  absl::StatusOr<v1::ReleasedSignal> Decide(absl::string_view signal_id,
                                            v1::Outcome outcome,
                                            absl::string_view reason,
                                            absl::string_view handed_to = "");
  // The whole requests: with on_behalf_of (default: the signal's source)
  // and, for a changed decision, change_reason.
  absl::StatusOr<v1::ReleasedSignal> Release(const v1::ReleaseRequest& request);
  absl::StatusOr<v1::ReleasedSignal> Decide(const v1::DecideRequest& request);

  // The worklist (for people: independent of Watch and its acks) and its
  // steps; the client's person (ClientOptions::user_id) takes them.
  absl::StatusOr<v1::WorklistResponse> Worklist(
      const v1::WorklistRequest& request);
  absl::StatusOr<v1::WorkItem> Assign(absl::string_view signal_id,
                                      absl::string_view assignee);
  absl::StatusOr<v1::WorkItem> Close(absl::string_view signal_id,
                                     absl::string_view reason);
  absl::StatusOr<v1::WorkItem> Reopen(absl::string_view signal_id,
                                      absl::string_view reason);
  // Hands the signal to the other receiver (the care coordinator, or back
  // to the chain director) with a reason.
  absl::StatusOr<v1::WorkItem> HandOver(absl::string_view signal_id,
                                        absl::string_view to,
                                        absl::string_view reason);
  // Confirms (one person: the signals are linked) or dismisses a possible
  // match between two signals, with a reason.
  absl::StatusOr<v1::JudgeMatchResponse> JudgeMatch(
      const v1::JudgeMatchRequest& request);

 private:
  // One unary call of `method`, with the client's retries.
  template <class Request, class Response>
  absl::StatusOr<Response> Unary(
      grpc::Status (v1::ChainDirectorService::Stub::*method)(
          grpc::ClientContext*, const Request&, Response*),
      const Request& request);

  ChainDirectorClient(const ClientOptions& options,
                      std::shared_ptr<grpc::Channel> channel);

  // One Subscribe call; sets `cursor` to the last acked event.
  grpc::Status StreamOnce(const std::function<bool(const v1::Event&)>& handler,
                          std::optional<uint64_t>& cursor, bool& stopped);

  const ClientOptions options_;
  const std::unique_ptr<v1::ChainDirectorService::Stub> stub_;
  absl::Mutex mu_;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_CHAIN_DIRECTOR_CLIENT_H_
