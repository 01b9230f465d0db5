#ifndef KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_
#define KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_

#include <deque>
#include <functional>
#include <map>
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
// backlog, then live as the notifier announces commits. Reads the next batch
// while earlier ones are being audited and written: at most kAuditDepth
// batches in audit at once, and at most about three batches held. Owns itself
// until gRPC calls OnDone.
class EventStream final : public grpc::ServerWriteReactor<v1::Event>,
                          public EventWaiter,
                          public std::enable_shared_from_this<EventStream> {
 public:
  static constexpr size_t kBatch = 256;
  static constexpr uint64_t kAuditDepth = 2;

  // Starts streaming; the returned reactor belongs to gRPC.
  // Each batch is written to the stream only after its "deliver" audit
  // records (children of `call_record`, one per event) are on disk.
  // `on_done` runs once when the stream is over.
  static grpc::ServerWriteReactor<v1::Event>* Start(
      const CurrentPolicy* policy, SignalStore* store, EventNotifier* notifier,
      std::string receiver, uint64_t after, v1::AuditRecord call_record,
      std::function<void()> on_done);

  // The most events one stream has held in memory (read, audited or being
  // audited, not yet written) since the process started: bounded by about
  // three batches whatever the subscriber does. For the metrics and tests.
  static size_t MostEventsHeld();

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
  // Batch number `ticket`'s records were written (or not): buffer it, in
  // ticket order, and pump.
  void OnAudited(uint64_t ticket, std::deque<v1::Event> batch,
                 const absl::Status& written);
  void FinishOnce(const grpc::Status& status);
  // Raises MostEventsHeld to what this stream holds now, if more.
  void NoteHeldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

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
  // Events of the batches sent to audit and not yet buffered.
  size_t auditing_events_ ABSL_GUARDED_BY(mu_) = 0;
  // Batch numbers: the next to send to audit, and the next to buffer. The
  // store completes records in commit order, except that once it stops it
  // refuses new ones at once, before earlier ones complete; so batches
  // audited out of turn wait in audited_.
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_to_buffer_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::optional<std::deque<v1::Event>>> audited_
      ABSL_GUARDED_BY(mu_);
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;  // for the notifier's Wake
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the stream must end; it ends once no write is in flight.
  std::optional<grpc::Status> failure_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<EventStream> self_;  // released in OnDone
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_EVENT_STREAM_H_
