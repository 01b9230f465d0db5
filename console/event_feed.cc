#include "console/event_feed.h"

#include <optional>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace ketenhub::console {

EventFeed::EventFeed(ClientOptions hub)
    : hub_(std::move(hub)), thread_([this] { Follow(); }) {}

EventFeed::~EventFeed() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  thread_.join();
}

uint64_t EventFeed::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

uint64_t EventFeed::WaitBeyond(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto beyond = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return generation_ > seen || stopping_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&beyond), timeout);
  return generation_;
}

void EventFeed::Follow() {
  absl::Duration backoff = absl::Milliseconds(200);
  std::optional<uint64_t> after;  // first: from the organisation's ack
  for (;;) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeHubChannel(hub_);
    if (channel.ok()) {
      auto stub = v1::ChainDirectorService::NewStub(*channel);
      grpc::ClientContext context;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        active_ = &context;
      }
      v1::SubscribeRequest request;
      if (after.has_value()) request.set_from_cursor(*after);
      std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
          stub->Subscribe(&context, request);
      v1::Event event;
      while (reader->Read(&event)) {
        after = event.cursor();
        backoff = absl::Milliseconds(200);
        absl::MutexLock lock(&mu_);
        ++generation_;
      }
      (void)reader->Finish();
      absl::MutexLock lock(&mu_);
      active_ = nullptr;
    }
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff)) return;
    backoff = std::min(backoff * 2, absl::Seconds(10));
  }
}

}  // namespace ketenhub::console
