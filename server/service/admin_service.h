#ifndef KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "ketenhub/v1/chain_director.grpc.pb.h"
#include "server/policy/current_policy.h"
#include "server/service/caller_identity.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// AdminService for the hub's operators (role OPERATOR). Thread-safe.
class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  AdminServiceImpl(CurrentPolicy* policy, const SignalStore* store);

  grpc::ServerUnaryReactor* ReloadPolicy(
      grpc::CallbackServerContext* context,
      const v1::ReloadPolicyRequest* request,
      v1::ReloadPolicyResponse* response) override;
  grpc::ServerUnaryReactor* ListUnrouted(
      grpc::CallbackServerContext* context,
      const v1::ListUnroutedRequest* request,
      v1::ListUnroutedResponse* response) override;

 private:
  absl::Status Authorize(const grpc::CallbackServerContext& context,
                         absl::StatusOr<Caller>& caller);

  CurrentPolicy* const policy_;
  const SignalStore* const store_;
  CertificateIdentityCache certificates_;
};

// Reloads the policy file into `policy` and logs the outcome (SIGHUP and
// AdminService share it). Returns the new version or the refusal.
absl::StatusOr<std::string> ReloadAndLog(CurrentPolicy& policy);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_
