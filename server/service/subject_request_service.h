#ifndef KETENHUB_SERVER_SERVICE_SUBJECT_REQUEST_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_SUBJECT_REQUEST_SERVICE_H_

#include "absl/status/statusor.h"
#include "ketenhub/v1/subject_request.grpc.pb.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/unary_call.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// SubjectRequestService: four eyes on a person's whole file. An operator's
// person asks to export or erase (Ask); a person of an approver
// organisation (the policy's subject_requests) approves or refuses; the
// asker then runs it once through AdminService. Every call names its
// person and is audited with the request id and both persons.
// Thread-safe; collaborators must outlive it.
class SubjectRequestServiceImpl final
    : public v1::SubjectRequestService::CallbackService {
 public:
  SubjectRequestServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                            const SubjectPseudonymizer* pseudonymizer,
                            CertificateIdentityCache* certificates);

 private:
  grpc::ServerUnaryReactor* HandleAsk(UnaryCall& call,
                                      const v1::AskSubjectRequest& request,
                                      v1::SubjectRequest* response);
  grpc::ServerUnaryReactor* HandleList(
      UnaryCall& call, const v1::ListSubjectRequestsRequest& request,
      v1::ListSubjectRequestsResponse* response);
  grpc::ServerUnaryReactor* HandleApprove(
      UnaryCall& call, const v1::ApproveSubjectRequest& request,
      v1::SubjectRequest* response);
  grpc::ServerUnaryReactor* HandleRefuse(
      UnaryCall& call, const v1::RefuseSubjectRequest& request,
      v1::SubjectRequest* response);
  // Approve and Refuse: checks the approver, then applies `decide`.
  grpc::ServerUnaryReactor* Decide(UnaryCall& call,
                                   const std::string& request_id,
                                   SubjectRequestChange change,
                                   v1::SubjectRequest* response);

  SignalStore* const store_;
  const SubjectPseudonymizer* const pseudonymizer_;
};

// Marks every request that lapsed by now expired, each with a
// "subject_request_expired" record made from `draft` (the hub's own).
// Blocks: for the hub's periodic sweep. Returns how many expired; logs a
// failure (subject_request_expiry_failed) as well as returning it.
absl::StatusOr<int> ExpireLapsedRequests(SignalStore& store,
                                         const v1::AuditRecord& draft);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_SUBJECT_REQUEST_SERVICE_H_
