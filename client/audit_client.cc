#include "client/audit_client.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "server/audit/checkpoint.h"
#include "server/audit/merkle.h"

namespace ketenhub {

absl::StatusOr<std::unique_ptr<AuditClient>> AuditClient::Connect(
    const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(options);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<AuditClient>(
      new AuditClient(options, *std::move(channel)));
}

AuditClient::AuditClient(const ClientOptions& options,
                         std::shared_ptr<grpc::Channel> channel)
    : options_(options), stub_(v1::AuditService::NewStub(channel)) {}

absl::Status AuditClient::Query(
    v1::AuditQueryRequest request,
    const std::function<bool(const v1::AuditRecord&)>& on_record) {
  for (;;) {
    std::vector<v1::AuditRecord> page;
    std::string next_token;
    absl::Status status =
        CallWithRetries(options_, [&](grpc::ClientContext* context) {
          page.clear();
          next_token.clear();
          auto reader = stub_->Query(context, request);
          v1::AuditQueryResponse response;
          while (reader->Read(&response)) {
            if (response.has_record()) page.push_back(response.record());
            if (!response.next_page_token().empty())
              next_token = response.next_page_token();
          }
          return reader->Finish();
        });
    if (!status.ok()) return status;
    for (const v1::AuditRecord& record : page) {
      if (!on_record(record)) return absl::OkStatus();
    }
    if (next_token.empty()) return absl::OkStatus();
    request.set_page_token(next_token);
  }
}

absl::StatusOr<v1::SignedCheckpoint> AuditClient::GetCheckpoint() {
  v1::SignedCheckpoint checkpoint;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetCheckpoint(context, v1::GetCheckpointRequest(),
                                    &checkpoint);
      });
  if (!status.ok()) return status;
  return checkpoint;
}

absl::StatusOr<v1::SignedCheckpoint> AuditClient::VerifyLog(
    absl::string_view public_key_pem,
    const std::optional<v1::SignedCheckpoint>& trusted) {
  if (trusted) {
    if (absl::Status s = VerifyCheckpoint(*trusted, public_key_pem); !s.ok())
      return s;
  }
  absl::StatusOr<v1::SignedCheckpoint> current = GetCheckpoint();
  if (!current.ok()) return current.status();
  if (absl::Status s = VerifyCheckpoint(*current, public_key_pem); !s.ok())
    return s;
  if (!trusted || trusted->tree_size() == 0) return current;
  if (trusted->tree_size() > current->tree_size()) {
    return absl::DataLossError(
        absl::StrCat("consistency: the log has ", current->tree_size(),
                     " records, fewer than the ", trusted->tree_size(),
                     " of the earlier checkpoint: records were removed"));
  }
  v1::GetConsistencyProofRequest request;
  request.set_old_size(trusted->tree_size());
  request.set_new_size(current->tree_size());
  v1::ConsistencyProof proof;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetConsistencyProof(context, request, &proof);
      });
  if (!status.ok()) return status;
  const std::vector<std::string> hashes(proof.hashes().begin(),
                                        proof.hashes().end());
  if (absl::Status s = merkle::VerifyConsistency(
          trusted->tree_size(), current->tree_size(), trusted->root_hash(),
          current->root_hash(), hashes);
      !s.ok()) {
    return s;
  }
  return current;
}

absl::StatusOr<v1::AuditRecord> AuditClient::VerifyRecord(
    uint64_t index, const v1::SignedCheckpoint& checkpoint) {
  v1::GetInclusionProofRequest request;
  request.set_index(index);
  request.set_tree_size(checkpoint.tree_size());
  v1::InclusionProof proof;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetInclusionProof(context, request, &proof);
      });
  if (!status.ok()) return status;
  const std::vector<std::string> hashes(proof.hashes().begin(),
                                        proof.hashes().end());
  if (absl::Status s = merkle::VerifyInclusion(index, checkpoint.tree_size(),
                                               merkle::LeafHash(proof.record()),
                                               hashes, checkpoint.root_hash());
      !s.ok()) {
    return s;
  }
  v1::AuditRecord record;
  if (!record.ParseFromString(proof.record()) || record.index() != index) {
    return absl::DataLossError(
        absl::StrCat("record ", index, ": proven bytes are not the record"));
  }
  return record;
}

}  // namespace ketenhub
