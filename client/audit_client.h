#ifndef KETENHUB_CLIENT_AUDIT_CLIENT_H_
#define KETENHUB_CLIENT_AUDIT_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/signal_client.h"
#include "ketenhub/v1/audit.grpc.pb.h"

namespace ketenhub {

// An auditor's connection to the hub's AuditService: queries of the audit
// trail and online verification of its Merkle tree against the hub's audit
// public key. Thread-safe. Failures carry the hub's gRPC code and message;
// a proof that does not verify is DATA_LOSS naming what failed.
class AuditClient {
 public:
  // As SignalClient::Connect.
  static absl::StatusOr<std::unique_ptr<AuditClient>> Connect(
      const ClientOptions& options);

  // Runs `request` and hands every matching record to `on_record`, in time
  // order, following page tokens until the end or until `on_record` returns
  // false. Each page is one call (retried when the hub is unreachable).
  absl::Status Query(
      v1::AuditQueryRequest request,
      const std::function<bool(const v1::AuditRecord&)>& on_record);

  // The current tree head, freshly signed by the hub (not yet verified).
  absl::StatusOr<v1::SignedCheckpoint> GetCheckpoint();

  // Fetches a signed checkpoint and checks its signature against
  // `public_key_pem`; with `trusted` (an earlier checkpoint the auditor kept)
  // also checks the consistency proof that the log only grew since. Returns
  // the verified new checkpoint, to keep for next time.
  absl::StatusOr<v1::SignedCheckpoint> VerifyLog(
      absl::string_view public_key_pem,
      const std::optional<v1::SignedCheckpoint>& trusted);

  // Checks that record `index` is in the tree of `checkpoint` (already
  // verified) and returns the record as proven.
  absl::StatusOr<v1::AuditRecord> VerifyRecord(
      uint64_t index, const v1::SignedCheckpoint& checkpoint);

 private:
  AuditClient(const ClientOptions& options,
              std::shared_ptr<grpc::Channel> channel);

  const ClientOptions options_;
  const std::unique_ptr<v1::AuditService::Stub> stub_;
};

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_AUDIT_CLIENT_H_
