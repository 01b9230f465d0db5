#ifndef KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "absl/functional/any_invocable.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/policy/current_policy.h"
#include "server/service/caller_identity.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// AdminService for the hub's operators (role OPERATOR). Thread-safe.
class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  AdminServiceImpl(CurrentPolicy* policy, SignalStore* store);

  grpc::ServerUnaryReactor* ReloadPolicy(
      grpc::CallbackServerContext* context,
      const v1::ReloadPolicyRequest* request,
      v1::ReloadPolicyResponse* response) override;
  grpc::ServerUnaryReactor* ListUnrouted(
      grpc::CallbackServerContext* context,
      const v1::ListUnroutedRequest* request,
      v1::ListUnroutedResponse* response) override;

 private:
  CurrentPolicy* const policy_;
  SignalStore* const store_;
  CertificateIdentityCache certificates_;
};

// Reloads the policy file into `policy` (SIGHUP and AdminService share it):
// validates the new file, writes `record` (completed with the outcome and the
// new version) to the audit trail, and only then swaps the policy in. Calls
// `done` with the new version or the refusal (UNAVAILABLE when the record
// cannot be written: then the old policy stays). Logs the outcome.
void ReloadAudited(
    CurrentPolicy& policy, SignalStore& store, v1::AuditRecord record,
    absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_
