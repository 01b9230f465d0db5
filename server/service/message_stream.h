#ifndef KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_
#define KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_

#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "grpcpp/support/server_callback.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

// A server stream of messages gathered before the first is sent (an audit
// query's page, a person's export): created with them, it waits for Begin,
// which the handler calls once the call's audit record is on disk, so that
// nothing leaves unaudited. Deletes itself when the call is done.
template <class Message>
class MessageStream final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit MessageStream(std::deque<Message> messages)
      : messages_(std::move(messages)) {}

  // Starts writing, or finishes with `status` (a refusal or a failed audit
  // write), with none of the messages.
  void Begin(const absl::Status& status) {
    if (!status.ok()) return this->Finish(ToGrpcStatus(status));
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return this->Finish(grpc::Status::CANCELLED);
    messages_.pop_front();
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (messages_.empty()) return this->Finish(grpc::Status::OK);
    this->StartWrite(&messages_.front());
  }

  std::deque<Message> messages_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_
