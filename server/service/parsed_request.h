#ifndef KETENHUB_SERVER_SERVICE_PARSED_REQUEST_H_
#define KETENHUB_SERVER_SERVICE_PARSED_REQUEST_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/impl/codegen/serialization_traits.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/policy/call_roles.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/service/grpc_status.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// A request message as the hub received it: parsed, or why it is not a
// message of its type. gRPC answers a request it cannot parse with a bare
// UNIMPLEMENTED and never calls the handler (and ends a client stream as if
// the client had closed it); handlers registered on ParsedRequest (below,
// and UnaryHandler in unary_call.h) get this instead, and refuse with
// INVALID_ARGUMENT.
template <class Message>
struct ParsedRequest {
  Message message;
  absl::Status status;  // OK, or INVALID_ARGUMENT naming the field
};

// Parses `buffer` into `message`. INVALID_ARGUMENT when a string field is not
// UTF-8 ("Signal.summary: not valid UTF-8") or the bytes are no message of
// the type ("request: not a valid ketenhub.v1.SubmitRequest message").
// Thread-safe.
absl::Status ParseRequest(grpc::ByteBuffer& buffer,
                          google::protobuf::MessageLite& message);

// Routes the protobuf library's own log lines (it logs, for instance, each
// string field that is not UTF-8) into the hub's JSON log. Idempotent.
void RouteProtobufLogToJsonLog();

// The index of `method` (e.g. "Submit") in `service` (e.g.
// "ketenhub.v1.SignalService"), as gRPC's generated code numbers them; -1
// when there is none.
int MethodIndex(absl::string_view service, absl::string_view method);

// What a service begins, audits and refuses its calls with. The pointers
// must outlive the service.
struct CallEnvironment {
  const CurrentPolicy* policy;
  CertificateIdentityCache* certificates;
  SignalStore* store;
};

// Who records the refusal of a streaming request that could not be parsed,
// as `operation` needing one of `roles`.
struct UnparsableRefusal {
  CallEnvironment env;
  std::string operation;
  CallRoles roles;
};

// Begins an audited refusal of a server-streaming call: the record of
// `context`'s caller with `status` (or the caller's identity or role
// refusal); calls `finish` with the outcome once the record is written.
void RecordUnparsable(grpc::CallbackServerContext* context,
                      const UnparsableRefusal& refusal,
                      const absl::Status& status, StatusCallback finish);

// A Write reactor that only records a refusal and finishes.
template <class Response>
class RefusedWriteStream final : public grpc::ServerWriteReactor<Response> {
 public:
  RefusedWriteStream(grpc::CallbackServerContext* context,
                     const UnparsableRefusal& refusal,
                     const absl::Status& status);
  void OnDone() override { delete this; }
};

// A handler for server-streaming `method` of `service` that parses with
// ParseRequest and refuses, audited, what does not parse; `method` begins
// its audited call itself. For grpc::Service::MarkMethodCallback. (Unary
// methods: UnaryHandler in unary_call.h.)
template <class Service, class Request, class Response>
grpc::internal::MethodHandler* ParsingServerStreamingHandler(
    Service* service,
    grpc::ServerWriteReactor<Response>* (Service::*method)(
        grpc::CallbackServerContext*, const Request*),
    UnparsableRefusal refusal) {
  return new grpc::internal::CallbackServerStreamingHandler<
      ParsedRequest<Request>, Response>(
      [service, method, refusal = std::move(refusal)](
          grpc::CallbackServerContext* context,
          const ParsedRequest<Request>* request)
          -> grpc::ServerWriteReactor<Response>* {
        if (!request->status.ok()) {
          return new RefusedWriteStream<Response>(context, refusal,
                                                  request->status);
        }
        return (service->*method)(context, &request->message);
      });
}

template <class Response>
RefusedWriteStream<Response>::RefusedWriteStream(
    grpc::CallbackServerContext* context, const UnparsableRefusal& refusal,
    const absl::Status& status) {
  RecordUnparsable(context, refusal, status, [this](absl::Status outcome) {
    this->Finish(ToGrpcStatus(outcome));
  });
}

}  // namespace ketenhub

namespace grpc {

// How gRPC reads a ParsedRequest off the wire: always "OK" to gRPC, with the
// parse outcome in the request for the handler to act on.
template <class Message>
class SerializationTraits<ketenhub::ParsedRequest<Message>, void> {
 public:
  static Status Deserialize(ByteBuffer* buffer,
                            ketenhub::ParsedRequest<Message>* request) {
    if (buffer == nullptr) return Status(StatusCode::INTERNAL, "No payload");
    request->status = ketenhub::ParseRequest(*buffer, request->message);
    return Status::OK;
  }
  static Status Serialize(const ketenhub::ParsedRequest<Message>& request,
                          ByteBuffer* buffer, bool* own_buffer) {
    return SerializationTraits<Message>::Serialize(request.message, buffer,
                                                   own_buffer);
  }
};

}  // namespace grpc

#endif  // KETENHUB_SERVER_SERVICE_PARSED_REQUEST_H_
