#include "server/service/event_stream.h"

#include "server/routing/release.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

grpc::ServerWriteReactor<v1::Event>* EventStream::Start(
    const CurrentPolicy* policy, const SignalStore* store,
    EventNotifier* notifier, std::string receiver, uint64_t after) {
  std::shared_ptr<EventStream> stream(
      new EventStream(policy, store, notifier, std::move(receiver), after));
  stream->self_ = stream;
  stream->Pump();
  return stream.get();
}

EventStream::EventStream(const CurrentPolicy* policy, const SignalStore* store,
                         EventNotifier* notifier, std::string receiver,
                         uint64_t after)
    : policy_(policy),
      store_(store),
      notifier_(notifier),
      receiver_(std::move(receiver)),
      scanned_to_(after) {}

bool EventStream::ReadBatch(std::deque<v1::Event>& out, grpc::Status& status) {
  absl::StatusOr<SignalStore::EventPage> page =
      store_->ReadEvents(receiver_, scanned_to_, kBatch);
  if (!page.ok()) {
    status = ToGrpcStatus(page.status());
    return false;
  }
  scanned_to_ = page->scanned_to;
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  for (const v1::storage::StoredEvent& stored : page->events) {
    absl::StatusOr<std::optional<v1::Event>> event =
        RenderEvent(stored, *store_, *policy, receiver_);
    if (!event.ok()) {
      status = ToGrpcStatus(event.status());
      return false;
    }
    if (event->has_value()) out.push_back(**std::move(event));
  }
  return true;
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
      if (finished_ || writing_) {
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
    if (notifier_->closed() || !ReadBatch(batch, status)) {
      {
        absl::MutexLock lock(&mu_);
        pumping_ = false;
      }
      return FinishOnce(status);
    }
    if (!batch.empty()) {
      absl::MutexLock lock(&mu_);
      for (v1::Event& event : batch) buffer_.push_back(std::move(event));
      continue;
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

void EventStream::OnDone() { self_.reset(); }

void EventStream::FinishOnce(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  Finish(status);
}

}  // namespace ketenhub
