#ifndef KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_
#define KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_

#include <deque>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/support/server_callback.h"
#include "server/audit/audit_record.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// A server stream of messages gathered before the first is sent (an audit
// query's page, a person's export): it waits for Begin, which the handler
// calls (from any thread, once) when the messages are gathered and the
// call's audit record is on disk, so that nothing leaves unaudited. Deletes
// itself when the call is done.
template <class Message>
class MessageStream final : public grpc::ServerWriteReactor<Message> {
 public:
  // Starts writing `messages`, or finishes with `status` (a refusal or a
  // failed audit write) and none of them.
  void Begin(std::deque<Message> messages, const absl::Status& status) {
    if (!status.ok()) return this->Finish(ToGrpcStatus(status));
    messages_ = std::move(messages);
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

// Completes `record` with `status`, logs and commits it; then begins
// `stream` with `messages`, or with the refusal, or with UNAVAILABLE when
// the record could not be written.
template <class Message>
void RecordThenBegin(SignalStore& store, v1::AuditRecord record,
                     const absl::Status& status, MessageStream<Message>* stream,
                     std::deque<Message> messages) {
  SetAuditOutcome(status, &record);
  LogAudited(record);
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(record));
  store.audit().Record(
      std::move(records), [stream, status, messages = std::move(messages)](
                              absl::Status written) mutable {
        stream->Begin(std::move(messages), written.ok() ? status : written);
      });
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_MESSAGE_STREAM_H_
