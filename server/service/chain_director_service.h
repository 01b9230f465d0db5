#ifndef KETENHUB_SERVER_SERVICE_CHAIN_DIRECTOR_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_CHAIN_DIRECTOR_SERVICE_H_

#include "absl/functional/function_ref.h"
#include "ketenhub/v1/chain_director.grpc.pb.h"
#include "server/policy/current_policy.h"
#include "server/routing/event_notifier.h"
#include "server/service/caller_identity.h"
#include "server/service/rate_limiter.h"
#include "server/service/unary_call.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// ChainDirectorService for the ketenregisseur (role CHAIN_DIRECTOR), on
// gRPC's callback API. Subscribe streams read storage as they go (a bounded
// batch per stream), so a slow subscriber costs no memory beyond that batch
// and never slows submitters. Thread-safe; collaborators must outlive it.
class ChainDirectorServiceImpl final
    : public v1::ChainDirectorService::CallbackService {
 public:
  ChainDirectorServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                           EventNotifier* notifier,
                           CertificateIdentityCache* certificates,
                           PartnerLimits* partner_limits);

  grpc::ServerWriteReactor<v1::Event>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;

 private:
  // The cores of the unary methods (registered with UnaryHandler).
  grpc::ServerUnaryReactor* HandleAck(UnaryCall& call,
                                      const v1::AckRequest& request,
                                      v1::AckResponse* response);
  grpc::ServerUnaryReactor* HandleGetSignal(UnaryCall& call,
                                            const v1::GetSignalRequest& request,
                                            v1::ReleasedSignal* response);
  grpc::ServerUnaryReactor* HandleRelease(UnaryCall& call,
                                          const v1::ReleaseRequest& request,
                                          v1::ReleasedSignal* response);
  grpc::ServerUnaryReactor* HandleDecide(UnaryCall& call,
                                         const v1::DecideRequest& request,
                                         v1::ReleasedSignal* response);
  grpc::ServerUnaryReactor* HandleWorklist(UnaryCall& call,
                                           const v1::WorklistRequest& request,
                                           v1::WorklistResponse* response);
  grpc::ServerUnaryReactor* HandleAssign(UnaryCall& call,
                                         const v1::AssignRequest& request,
                                         v1::WorkItem* response);
  grpc::ServerUnaryReactor* HandleClose(UnaryCall& call,
                                        const v1::CloseRequest& request,
                                        v1::WorkItem* response);
  grpc::ServerUnaryReactor* HandleReopen(UnaryCall& call,
                                         const v1::ReopenRequest& request,
                                         v1::WorkItem* response);
  grpc::ServerUnaryReactor* HandleHandOver(UnaryCall& call,
                                           const v1::HandOverRequest& request,
                                           v1::WorkItem* response);
  grpc::ServerUnaryReactor* HandleJudgeMatch(
      UnaryCall& call, const v1::JudgeMatchRequest& request,
      v1::JudgeMatchResponse* response);
  // Assign, Close and Reopen: `step` (its person and time filled in here)
  // on `signal_id` in the caller's worklist, answered with the signal's
  // item.
  grpc::ServerUnaryReactor* Step(UnaryCall& call, const std::string& signal_id,
                                 TriageStep step, v1::WorkItem* response);
  // The signal `signal_id` (decrypted, once) for a change by the caller,
  // whose route must carry it to them: NOT_FOUND otherwise, whatever its
  // state; FAILED_PRECONDITION when destroyed. Names the signal and the
  // person in the call's record.
  absl::StatusOr<v1::storage::StoredSignal> ReadForChange(
      UnaryCall& call, absl::string_view signal_id) const;
  // Runs `change` (a store update, with the call's record) and finishes the
  // call with the changed signal as the caller sees it: `content` (from
  // ReadForChange) with the store's changed metadata.
  void CommitChange(UnaryCall& call, v1::storage::StoredSignal content,
                    v1::ReleasedSignal* response,
                    absl::FunctionRef<void(SignalCallback)> change);

  const CurrentPolicy* const policy_;
  SignalStore* const store_;
  EventNotifier* const notifier_;
  CertificateIdentityCache* const certificates_;
  PartnerLimits* const partner_limits_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_CHAIN_DIRECTOR_SERVICE_H_
