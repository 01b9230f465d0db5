#ifndef KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_
#define KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "server/policy/current_policy.h"
#include "server/routing/event_notifier.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// One Subscribe call: writes `receiver`'s events after a cursor, first the
// backlog, then live as the notifier announces commits. Reads and audits the
// next batch while the previous one is being written, holding at most about
// two batches. Owns itself until gRPC calls OnDone.
class EventStream final : public grpc::ServerWriteReactor<v1::Event>,
                          public EventWaiter,
                          public std::enable_shared_from_this<EventStream> {
 public:
  static constexpr size_t kBatch = 256;

  // Starts streaming; the returned reactor belongs to gRPC.
  // Each batch is written to the stream only after its "deliver" audit
  // records (children of `call_record`, one per event) are on disk.
  // `on_done` runs once when the stream is over.
  static grpc::ServerWriteReactor<v1::Event>* Start(
      const CurrentPolicy* policy, SignalStore* store, EventNotifier* notifier,
      std::string receiver, uint64_t after, v1::AuditRecord call_record,
      std::function<void()> on_done);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  void Wake() override;

 private:
  EventStream(const CurrentPolicy* policy, SignalStore* store,
              EventNotifier* notifier, std::string receiver, uint64_t after,
              v1::AuditRecord call_record);

  void Pump();
  // Reads and renders the next batch into `out`, with its delivery records;
  // false when the stream must end with `status` set.
  bool ReadBatch(std::deque<v1::Event>& out,
                 std::vector<v1::AuditRecord>& records, grpc::Status& status);
  // The batch's records were written (or not): buffer it and pump.
  void OnAudited(std::deque<v1::Event> batch, const absl::Status& written);
  void FinishOnce(const grpc::Status& status);

  const CurrentPolicy* const policy_;
  SignalStore* const store_;
  EventNotifier* const notifier_;
  const std::string receiver_;
  const v1::AuditRecord call_record_;
  std::function<void()> on_done_;
  uint64_t scanned_to_;  // only the pumping thread touches it

  absl::Mutex mu_;
  std::deque<v1::Event> buffer_ ABSL_GUARDED_BY(mu_);
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool repump_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool auditing_ ABSL_GUARDED_BY(mu_) = false;  // a batch's records in flight
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;   // for the notifier's Wake
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the stream must end; it ends once no write is in flight.
  std::optional<grpc::Status> failure_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<EventStream> self_;  // released in OnDone
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_
