#include "client/chain_director_client.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "grpcpp/channel.h"

namespace ketenhub {

absl::StatusOr<std::unique_ptr<ChainDirectorClient>>
ChainDirectorClient::Connect(const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(options);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<ChainDirectorClient>(
      new ChainDirectorClient(options, *std::move(channel)));
}

ChainDirectorClient::ChainDirectorClient(const ClientOptions& options,
                                         std::shared_ptr<grpc::Channel> channel)
    : options_(options), stub_(v1::ChainDirectorService::NewStub(channel)) {}

void ChainDirectorClient::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (active_ != nullptr) active_->TryCancel();
}

grpc::Status ChainDirectorClient::StreamOnce(
    const std::function<bool(const v1::Event&)>& handler,
    std::optional<uint64_t>& cursor, bool& stopped) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) {
      stopped = true;
      return grpc::Status::OK;
    }
    active_ = &context;
  }
  v1::SubscribeRequest request;
  if (cursor) request.set_from_cursor(*cursor);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      stub_->Subscribe(&context, request);
  v1::Event event;
  grpc::Status status = grpc::Status::OK;
  while (reader->Read(&event)) {
    if (!handler(event)) {
      stopped = true;
      context.TryCancel();
      break;
    }
    absl::StatusOr<uint64_t> acked = Ack(event.cursor());
    if (!acked.ok()) {
      status =
          grpc::Status(static_cast<grpc::StatusCode>(acked.status().code()),
                       std::string(acked.status().message()));
      context.TryCancel();
      break;
    }
    cursor = event.cursor();
  }
  grpc::Status finished = reader->Finish();
  absl::MutexLock lock(&mu_);
  active_ = nullptr;
  if (cancelled_) stopped = true;
  return status.ok() ? finished : status;
}

absl::Status ChainDirectorClient::Watch(
    const std::function<bool(const v1::Event&)>& handler,
    std::optional<uint64_t> from_cursor) {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = false;
  }
  absl::BitGen random;
  absl::Duration backoff = options_.initial_backoff;
  std::optional<uint64_t> cursor = from_cursor;
  for (;;) {
    bool stopped = false;
    const std::optional<uint64_t> before = cursor;
    const absl::Status status =
        FromGrpcStatus(StreamOnce(handler, cursor, stopped));
    if (stopped) return absl::OkStatus();
    if (!absl::IsUnavailable(status) && !absl::IsDeadlineExceeded(status) &&
        !absl::IsCancelled(status) && !absl::IsInternal(status)) {
      return status;  // OK never ends a stream; anything else retrying cannot
                      // cure
    }
    if (cursor != before)
      backoff = options_.initial_backoff;  // it was making progress
    absl::SleepFor(backoff / 2 +
                   absl::Uniform(random, 0.0, 1.0) * (backoff / 2));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::StatusOr<uint64_t> ChainDirectorClient::Ack(uint64_t cursor) {
  v1::AckRequest request;
  request.set_cursor(cursor);
  v1::AckResponse response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->Ack(context, request, &response);
      });
  if (!status.ok()) return status;
  return response.acked_cursor();
}

absl::StatusOr<v1::ReleasedSignal> ChainDirectorClient::GetSignal(
    absl::string_view signal_id) {
  v1::GetSignalRequest request;
  request.set_signal_id(std::string(signal_id));
  v1::ReleasedSignal response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetSignal(context, request, &response);
      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::ReleasedSignal> ChainDirectorClient::Release(
    absl::string_view signal_id, v1::DataKind kind,
    absl::string_view legal_basis) {
  v1::ReleaseRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_kind(kind);
  request.set_legal_basis(std::string(legal_basis));
  return Release(request);
}

absl::StatusOr<v1::ReleasedSignal> ChainDirectorClient::Release(
    const v1::ReleaseRequest& request) {
  v1::ReleasedSignal response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->Release(context, request, &response);
      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::ReleasedSignal> ChainDirectorClient::Decide(
    absl::string_view signal_id, v1::Outcome outcome, absl::string_view reason,
    absl::string_view handed_to) {
  v1::DecideRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_outcome(outcome);
  request.set_reason(std::string(reason));
  request.set_handed_to(std::string(handed_to));
  return Decide(request);
}

absl::StatusOr<v1::ReleasedSignal> ChainDirectorClient::Decide(
    const v1::DecideRequest& request) {
  v1::ReleasedSignal response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->Decide(context, request, &response);
      });
  if (!status.ok()) return status;
  return response;
}

template <class Request, class Response>
absl::StatusOr<Response> ChainDirectorClient::Unary(
    grpc::Status (v1::ChainDirectorService::Stub::*method)(grpc::ClientContext*,
                                                           const Request&,
                                                           Response*),
    const Request& request) {
  Response response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return (stub_.get()->*method)(context, request, &response);
      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::WorklistResponse> ChainDirectorClient::Worklist(
    const v1::WorklistRequest& request) {
  return Unary(&v1::ChainDirectorService::Stub::Worklist, request);
}

absl::StatusOr<v1::WorkItem> ChainDirectorClient::Assign(
    absl::string_view signal_id, absl::string_view assignee) {
  v1::AssignRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_assignee(std::string(assignee));
  return Unary(&v1::ChainDirectorService::Stub::Assign, request);
}

absl::StatusOr<v1::WorkItem> ChainDirectorClient::Close(
    absl::string_view signal_id, absl::string_view reason) {
  v1::CloseRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_reason(std::string(reason));
  return Unary(&v1::ChainDirectorService::Stub::Close, request);
}

absl::StatusOr<v1::WorkItem> ChainDirectorClient::Reopen(
    absl::string_view signal_id, absl::string_view reason) {
  v1::ReopenRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_reason(std::string(reason));
  return Unary(&v1::ChainDirectorService::Stub::Reopen, request);
}

absl::StatusOr<v1::WorkItem> ChainDirectorClient::HandOver(
    absl::string_view signal_id, absl::string_view to,
    absl::string_view reason) {
  v1::HandOverRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_to(std::string(to));
  request.set_reason(std::string(reason));
  return Unary(&v1::ChainDirectorService::Stub::HandOver, request);
}

absl::StatusOr<v1::JudgeMatchResponse> ChainDirectorClient::JudgeMatch(
    const v1::JudgeMatchRequest& request) {
  return Unary(&v1::ChainDirectorService::Stub::JudgeMatch, request);
}

}  // namespace ketenhub
