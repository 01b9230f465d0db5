#ifndef KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_ADMIN_SERVICE_H_

#include <deque>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/subject_request.pb.h"
#include "server/policy/current_policy.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/caller_identity.h"
#include "server/service/unary_call.h"
#include "server/service/work_queue.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// AdminService for the hub's operators (role OPERATOR). Long operations
// (retention runs, key rotation, backups) run one at a time on a thread of
// the service's own, exports (which read a person's whole file) on
// another; never on gRPC's threads. Thread-safe.
class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // Backups go to `backup_dir`; `audit_public_key_pem` verifies them.
  AdminServiceImpl(CurrentPolicy* policy, SignalStore* store,
                   const SubjectPseudonymizer* pseudonymizer,
                   CertificateIdentityCache* certificates,
                   std::string backup_dir, std::string audit_public_key_pem);
  ~AdminServiceImpl() override;  // finishes the queued work

  grpc::ServerWriteReactor<v1::ExportSubjectResponse>* ExportSubject(
      grpc::CallbackServerContext* context,
      const v1::ExportSubjectRequest* request) override;

 private:
  // The cores of the unary methods (registered with UnaryHandler).
  grpc::ServerUnaryReactor* HandleReloadPolicy(
      UnaryCall& call, const v1::ReloadPolicyRequest& request,
      v1::ReloadPolicyResponse* response);
  grpc::ServerUnaryReactor* HandleListUnrouted(
      UnaryCall& call, const v1::ListUnroutedRequest& request,
      v1::ListUnroutedResponse* response);
  grpc::ServerUnaryReactor* HandleRunRetention(
      UnaryCall& call, const v1::RunRetentionRequest& request,
      v1::RunRetentionResponse* response);
  grpc::ServerUnaryReactor* HandleEraseSubject(
      UnaryCall& call, const v1::EraseSubjectRequest& request,
      v1::EraseSubjectResponse* response);
  grpc::ServerUnaryReactor* HandleRotateKek(UnaryCall& call,
                                            const v1::RotateKekRequest& request,
                                            v1::RotateKekResponse* response);
  grpc::ServerUnaryReactor* HandleBackup(UnaryCall& call,
                                         const v1::BackupRequest& request,
                                         v1::BackupResponse* response);

  // The change that uses up the approved request `request_id` of `kind`
  // for the person `subject_key` when the calling person (in `record`)
  // asked it; adds the request's details to `record`. INVALID_ARGUMENT
  // without a request id; the refusal the commit would give (four_eyes::
  // Take) when the request as stored now cannot run, so that nothing is
  // read for it. The commit decides again, atomically.
  absl::StatusOr<SubjectRequestChange> TakeRequest(
      v1::SubjectRequestKind kind, const std::string& request_id,
      const std::string& subject_key, v1::AuditRecord& record) const;

  // The parts of the export of the person with `subject_key` (whose audit
  // records carry `pseudonym`, or one of the `earlier` ones from before a
  // re-keying); adds the exported signal ids to `record`.
  absl::StatusOr<std::deque<v1::ExportSubjectResponse>> ExportParts(
      const std::string& subject_key, const std::string& pseudonym,
      const std::vector<std::string>& earlier, v1::AuditRecord& record) const;

  CurrentPolicy* const policy_;
  SignalStore* const store_;
  const SubjectPseudonymizer* const pseudonymizer_;
  CertificateIdentityCache* const certificates_;
  const std::string backup_dir_;
  const std::string audit_public_key_pem_;
  // Last, so that queued work ends before the members it uses: long
  // operations one at a time, and exports, which scan, beside them.
  WorkQueue long_work_{"keten-admin"};
  WorkQueue exports_{"keten-export"};
};

// Destroys the signals due at `as_of` (or, `dry_run`, only lists them),
// writing one "retention_purge" audit record per signal from `draft`. Blocks:
// for the sweeper and the admin worker.
absl::StatusOr<std::vector<v1::storage::StoredSignal>> RunRetentionOnce(
    SignalStore& store, absl::Time as_of, bool dry_run,
    const v1::AuditRecord& draft);

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
