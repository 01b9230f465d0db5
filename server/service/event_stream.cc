#include "server/service/event_stream.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/routing/release.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

std::atomic<size_t> most_events_held{0};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* EventStream::Start(
    const CurrentPolicy* policy, SignalStore* store, EventNotifier* notifier,
    std::string receiver, uint64_t after, v1::AuditRecord call_record,
    std::function<void()> on_done) {
  std::shared_ptr<EventStream> stream(
      new EventStream(policy, store, notifier, std::move(receiver), after,
                      std::move(call_record)));
  stream->on_done_ = std::move(on_done);
  stream->self_ = stream;
  stream->Pump();
  return stream.get();
}

EventStream::EventStream(const CurrentPolicy* policy, SignalStore* store,
                         EventNotifier* notifier, std::string receiver,
                         uint64_t after, v1::AuditRecord call_record)
    : policy_(policy),
      store_(store),
      notifier_(notifier),
      receiver_(std::move(receiver)),
      call_record_(std::move(call_record)),
      scanned_to_(after) {}

bool EventStream::ReadBatch(std::deque<v1::Event>& out,
                            std::vector<v1::AuditRecord>& records,
                            grpc::Status& status) {
  absl::StatusOr<SignalStore::EventPage> page =
      store_->ReadEvents(receiver_, scanned_to_, kBatch);
  if (!page.ok()) {
    status = ToGrpcStatus(page.status());
    return false;
  }
  scanned_to_ = page->scanned_to;
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  // The received signals of the page in one batched read.
  std::vector<std::string> received_ids;
  for (const v1::storage::StoredEvent& stored : page->events) {
    if (stored.has_received_signal_id())
      received_ids.push_back(stored.received_signal_id());
  }
  std::vector<absl::StatusOr<v1::storage::StoredSignal>> received =
      store_->GetSignals(received_ids);
  size_t next_received = 0;
  for (const v1::storage::StoredEvent& stored : page->events) {
    EventAbout about;
    absl::StatusOr<std::optional<v1::Event>> event = RenderEvent(
        stored, *store_, *policy, receiver_, &about,
        stored.has_received_signal_id() ? &received[next_received++] : nullptr);
    if (!event.ok()) {
      status = ToGrpcStatus(event.status());
      return false;
    }
    if (!event->has_value()) continue;
    v1::AuditRecord record = ChildRecord(call_record_, "deliver", *policy);
    (*record.mutable_details())["cursor"] = absl::StrCat(stored.cursor());
    for (std::string& id : about.signal_ids)
      record.add_signal_ids(std::move(id));
    if (!about.subject_key.empty()) {
      record.set_data_subject_pseudonym(SubjectPseudonym(about.subject_key));
    }
    SetAuditOutcome(absl::OkStatus(), &record);
    records.push_back(std::move(record));
    out.push_back(**std::move(event));
  }
  return true;
}

void EventStream::OnAudited(uint64_t ticket, std::deque<v1::Event> batch,
                            const absl::Status& written) {
  {
    absl::MutexLock lock(&mu_);
    auditing_events_ -= batch.size();
    if (written.ok()) {
      audited_[ticket] = std::move(batch);
    } else {
      audited_[ticket] = std::nullopt;
    }
    // In order: a batch after one whose records failed is never sent.
    for (auto it = audited_.begin();
         it != audited_.end() && it->first == next_to_buffer_;
         it = audited_.erase(it), ++next_to_buffer_) {
      if (!it->second.has_value()) {
        failure_ =
            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                         "the audit trail cannot be written; subscribe again");
      }
      if (failure_.has_value()) continue;
      for (v1::Event& event : *it->second) buffer_.push_back(std::move(event));
    }
  }
  Pump();
}

void EventStream::NoteHeldLocked() {
  size_t held = buffer_.size() + auditing_events_;
  for (const auto& [ticket, batch] : audited_) {
    if (batch.has_value()) held += batch->size();
  }
  size_t most = most_events_held.load(std::memory_order_relaxed);
  while (held > most && !most_events_held.compare_exchange_weak(
                            most, held, std::memory_order_relaxed)) {
  }
}

size_t EventStream::MostEventsHeld() {
  return most_events_held.load(std::memory_order_relaxed);
}

void EventStream::Wake() {
  {
    absl::MutexLock lock(&mu_);
    waiting_ = false;
  }
  Pump();
}

// One thread pumps at a time; others leave a note (repump_) and return. Each
// round starts the next write if none is in flight, and reads (and audits)
// the next batch while less than a batch is waiting to be written.
void EventStream::Pump() {
  const std::shared_ptr<EventStream> hold = shared_from_this();
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) {
      repump_ = true;
      return;
    }
    pumping_ = true;
  }
  for (;;) {
    const v1::Event* next = nullptr;
    std::optional<grpc::Status> finish;
    bool read = false;
    {
      absl::MutexLock lock(&mu_);
      repump_ = false;
      if (finished_) {
        pumping_ = false;
        return;
      }
      if (cancelled_ || failure_.has_value()) {
        if (!writing_) {  // else OnWriteDone pumps again
          finish = cancelled_ ? grpc::Status(grpc::StatusCode::CANCELLED,
                                             "subscriber went away")
                              : *failure_;
        }
      } else {
        if (!writing_ && !buffer_.empty()) {
          writing_ = true;
          next = &buffer_.front();  // stays put until OnWriteDone pops it
        }
        read = next_ticket_ - next_to_buffer_ < kAuditDepth && !waiting_ &&
               buffer_.size() + auditing_events_ <= 2 * kBatch;
      }
      if (!read) pumping_ = false;
    }
    if (finish.has_value()) return FinishOnce(*finish);
    if (next != nullptr) StartWrite(next);
    if (!read) return;

    grpc::Status status(grpc::StatusCode::UNAVAILABLE,
                        "the hub is shutting down; subscribe again");
    std::deque<v1::Event> batch;
    std::vector<v1::AuditRecord> records;
    if (notifier_->closed() || !ReadBatch(batch, records, status)) {
      absl::MutexLock lock(&mu_);
      failure_ = status;
      continue;
    }
    if (!batch.empty()) {
      uint64_t ticket;
      {
        absl::MutexLock lock(&mu_);
        auditing_events_ += batch.size();
        ticket = next_ticket_++;
        NoteHeldLocked();
      }
      store_->audit().Record(
          std::move(records), [self = hold, ticket, batch = std::move(batch)](
                                  absl::Status written) mutable {
            self->OnAudited(ticket, std::move(batch), written);
          });
      continue;
    }
    // Nothing new for this receiver: sleep until a commit, unless one came.
    // (Marked first, so that a Wake racing with the registration counts.)
    {
      absl::MutexLock lock(&mu_);
      waiting_ = true;
    }
    if (!notifier_->WaitPast(hold, scanned_to_)) {
      absl::MutexLock lock(&mu_);
      waiting_ = false;
    }
  }
}

void EventStream::OnWriteDone(bool ok) {
  const std::shared_ptr<EventStream> hold = shared_from_this();
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    buffer_.pop_front();
    if (!ok) cancelled_ = true;
  }
  Pump();
}

void EventStream::OnCancel() {
  const std::shared_ptr<EventStream> hold = shared_from_this();
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  Pump();
}

void EventStream::OnDone() {
  if (on_done_) on_done_();
  self_.reset();
}

void EventStream::FinishOnce(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  Finish(status);
}

}  // namespace ketenhub
