#include "server/service/event_stream.h"

#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/routing/release.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

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
  for (const v1::storage::StoredEvent& stored : page->events) {
    EventAbout about;
    absl::StatusOr<std::optional<v1::Event>> event =
        RenderEvent(stored, *store_, *policy, receiver_, &about);
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

void EventStream::OnAudited(std::deque<v1::Event> batch,
                            const absl::Status& written) {
  if (!written.ok()) {
    {
      absl::MutexLock lock(&mu_);
      auditing_ = false;
    }
    return FinishOnce(
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "the audit trail cannot be written; subscribe again"));
  }
  {
    absl::MutexLock lock(&mu_);
    auditing_ = false;
    for (v1::Event& event : batch) buffer_.push_back(std::move(event));
  }
  Pump();
}

void EventStream::Pump() {
  const std::shared_ptr<EventStream> hold = shared_from_this();
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) {
      repump_ = true;  // the running pump looks again
      return;
    }
    pumping_ = true;
  }
  for (;;) {
    enum class Action { kStop, kFinishCancelled, kWrite, kRead } action;
    const v1::Event* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      repump_ = false;
      if (finished_ || writing_ || auditing_) {
        action = Action::kStop;  // OnWriteDone pumps again
      } else if (cancelled_) {
        action = Action::kFinishCancelled;
      } else if (!buffer_.empty()) {
        action = Action::kWrite;
        writing_ = true;
        next = &buffer_.front();  // stays put until OnWriteDone pops it
      } else {
        action = Action::kRead;
      }
      if (action != Action::kRead) pumping_ = false;
    }
    switch (action) {
      case Action::kStop:
        return;
      case Action::kFinishCancelled:
        return FinishOnce(
            grpc::Status(grpc::StatusCode::CANCELLED, "subscriber went away"));
      case Action::kWrite:
        return StartWrite(next);
      case Action::kRead:
        break;
    }
    grpc::Status status(grpc::StatusCode::UNAVAILABLE,
                        "the hub is shutting down; subscribe again");
    std::deque<v1::Event> batch;
    std::vector<v1::AuditRecord> records;
    if (notifier_->closed() || !ReadBatch(batch, records, status)) {
      {
        absl::MutexLock lock(&mu_);
        pumping_ = false;
      }
      return FinishOnce(status);
    }
    if (!batch.empty()) {
      {
        absl::MutexLock lock(&mu_);
        auditing_ = true;
        pumping_ = false;
      }
      store_->Record(std::move(records),
                     [self = hold,
                      batch = std::move(batch)](absl::Status written) mutable {
                       self->OnAudited(std::move(batch), written);
                     });
      return;
    }
    // Nothing for this receiver yet: sleep until a commit, unless one came.
    if (notifier_->WaitPast(hold, scanned_to_)) {
      absl::MutexLock lock(&mu_);
      if (!repump_) {
        pumping_ = false;
        return;
      }
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
