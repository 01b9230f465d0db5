#ifndef KETENHUB_SERVER_SERVICE_UNARY_CALL_H_
#define KETENHUB_SERVER_SERVICE_UNARY_CALL_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/server_callback.h"
#include "server/common/identifiers.h"
#include "server/service/audited_call.h"
#include "server/service/parsed_request.h"

namespace ketenhub {

// A unary call that the request's form, the caller's identity and role
// allow, as a handler's core gets it: the call's reactor, its policy
// snapshot and caller, and the draft audit record. Not thread-safe; a core
// copies what its callbacks need (the reactor, the record).
class UnaryCall {
 public:
  UnaryCall(grpc::ServerUnaryReactor* reactor,
            grpc::CallbackServerContext* context, SignalStore* store,
            AuditedCall audited)
      : reactor_(reactor),
        context_(context),
        store_(store),
        audited_(std::move(audited)) {}

  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  grpc::CallbackServerContext* context() const { return context_; }
  const std::shared_ptr<const AccessPolicy>& policy() const {
    return audited_.policy;
  }
  const Caller& caller() const { return *audited_.caller; }
  v1::AuditRecord& record() { return audited_.record; }

  // Commits the call's record with `status`, then finishes the call with it
  // (with UNAVAILABLE instead when the record cannot be written: nothing
  // leaves unaudited). Returns the reactor, for `return`.
  grpc::ServerUnaryReactor* Finish(const absl::Status& status) {
    FinishAudited(reactor_, *store_, std::move(audited_.record), status);
    return reactor_;
  }

 private:
  grpc::ServerUnaryReactor* const reactor_;
  grpc::CallbackServerContext* const context_;
  SignalStore* const store_;
  AuditedCall audited_;
};

// Called (optionally) for a call refused before its core ran, e.g. to count
// it: the begun call, the request as parsed, the refusal.
template <class Request>
using RefusalHook = std::function<void(const AuditedCall&, const Request&,
                                       const absl::Status&)>;

// The one preamble of every unary method, as a handler for
// grpc::Service::MarkMethodCallback: reads the request with ParseRequest,
// begins the audited call of `operation` (BeginCall: policy snapshot,
// identity, `roles`), and refuses, audited, what is not allowed (identity and
// role first, then a request that did not parse); otherwise runs `core`,
// which finishes the call through UnaryCall::Finish or its own reactor.
template <class Service, class Request, class Response>
grpc::internal::MethodHandler* UnaryHandler(
    Service* service,
    grpc::ServerUnaryReactor* (Service::*core)(UnaryCall&, const Request&,
                                               Response*),
    const CallEnvironment& env, std::string operation, CallRoles roles,
    RefusalHook<Request> on_refused = nullptr) {
  return new grpc::internal::CallbackUnaryHandler<ParsedRequest<Request>,
                                                  Response>(
      [service, core, env, operation = std::move(operation), roles,
       on_refused = std::move(on_refused)](
          grpc::CallbackServerContext* context,
          const ParsedRequest<Request>* request,
          Response* response) -> grpc::ServerUnaryReactor* {
        grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
        AuditedCall audited = BeginCall(context, *env.policy, *env.certificates,
                                        operation, roles);
        absl::Status allowed = audited.allowed;
        if (allowed.ok()) allowed = request->status;
        if (!allowed.ok()) {
          // A refusal about a signal is found by a query on that signal.
          if constexpr (requires { request->message.signal_id(); }) {
            if (audited.record.signal_ids().empty() &&
                IsSignalIdShape(request->message.signal_id())) {
              audited.record.add_signal_ids(request->message.signal_id());
            }
          }
          if (on_refused) on_refused(audited, request->message, allowed);
          return FinishRefused(reactor, *env.store, audited, allowed);
        }
        UnaryCall call(reactor, context, env.store, std::move(audited));
        return (service->*core)(call, request->message, response);
      });
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_UNARY_CALL_H_
