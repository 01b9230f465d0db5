#include "server/service/audit_service.h"

#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/audit/merkle.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/service/message_stream.h"
#include "server/service/parsed_request.h"
#include "server/service/unary_call.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

constexpr uint32_t kMaxPage = 1000;
constexpr size_t kMaxScanned = 100000;

absl::StatusOr<absl::Time> ReadTime(const google::protobuf::Timestamp& ts,
                                    absl::string_view field, absl::Time unset) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return unset;
  if (ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid time"));
  }
  return FromTimestamp(ts);
}

}  // namespace

void SignAndStoreCheckpoint(
    SignalStore& store, const CheckpointSigner& signer,
    absl::AnyInvocable<void(absl::StatusOr<v1::SignedCheckpoint>) &&> done) {
  const SignalStore::AuditTreeHead head = store.AuditHead();
  v1::SignedCheckpoint checkpoint =
      signer.Sign(head.size, head.root, absl::Now());
  store.StoreCheckpoint(checkpoint, [checkpoint, done = std::move(done)](
                                        absl::Status written) mutable {
    if (!written.ok()) return std::move(done)(written);
    std::move(done)(std::move(checkpoint));
  });
}

AuditServiceImpl::AuditServiceImpl(const CurrentPolicy* policy,
                                   SignalStore* store,
                                   const SubjectPseudonymizer* pseudonymizer,
                                   const CheckpointSigner* signer,
                                   CertificateIdentityCache* certificates)
    : policy_(policy),
      store_(store),
      pseudonymizer_(pseudonymizer),
      signer_(signer),
      certificates_(certificates) {
  const std::string service = v1::AuditService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = AuditServiceImpl;
  MarkMethodCallback(
      MethodIndex(service, "Query"),
      ParsingServerStreamingHandler(
          this, &Self::Query,
          UnparsableRefusal{env, "audit_query", v1::ROLE_AUDITOR}));
  MarkMethodCallback(MethodIndex(service, "GetCheckpoint"),
                     UnaryHandler(this, &Self::HandleGetCheckpoint, env,
                                  "audit_checkpoint", v1::ROLE_AUDITOR));
  MarkMethodCallback(MethodIndex(service, "GetInclusionProof"),
                     UnaryHandler(this, &Self::HandleGetInclusionProof, env,
                                  "audit_inclusion_proof", v1::ROLE_AUDITOR));
  MarkMethodCallback(MethodIndex(service, "GetConsistencyProof"),
                     UnaryHandler(this, &Self::HandleGetConsistencyProof, env,
                                  "audit_consistency_proof", v1::ROLE_AUDITOR));
}

grpc::ServerWriteReactor<v1::AuditQueryResponse>* AuditServiceImpl::Query(
    grpc::CallbackServerContext* context,
    const v1::AuditQueryRequest* request) {
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "audit_query",
                               v1::ROLE_AUDITOR);
  absl::Status status = call.allowed;
  AuditFilter filter;
  uint64_t from_index = 0;
  if (status.ok() && request->has_subject()) {
    absl::StatusOr<std::string> key =
        pseudonymizer_->SubjectKey(request->subject());
    if (key.ok()) {
      filter.subject_pseudonym = SubjectPseudonym(*key);
      for (const std::string& earlier :
           pseudonymizer_->EarlierSubjectKeys(request->subject())) {
        filter.earlier_pseudonyms.push_back(SubjectPseudonym(earlier));
      }
      call.record.set_data_subject_pseudonym(filter.subject_pseudonym);
    }
    status = key.status();
  }
  absl::StatusOr<absl::Time> from =
      ReadTime(request->from(), "from", absl::InfinitePast());
  absl::StatusOr<absl::Time> to =
      ReadTime(request->to(), "to", absl::InfiniteFuture());
  if (status.ok()) status = from.status();
  if (status.ok()) status = to.status();
  if (status.ok() && !request->page_token().empty() &&
      !absl::SimpleAtoi(request->page_token(), &from_index)) {
    status =
        absl::InvalidArgumentError("page_token: not a token this hub gave out");
  }
  if (status.ok() && request->page_size() > kMaxPage) {
    status = absl::InvalidArgumentError("page_size: at most 1000");
  }
  absl::StatusOr<AuditPage> page = AuditPage();
  if (!status.ok()) {
    page = status;
  } else {
    filter.actor = request->actor();
    filter.operation = request->operation();
    filter.outcome = request->outcome();
    filter.from = *from;
    filter.to = *to;
    filter.trace_id = request->trace_id();
    filter.signal_id = request->signal_id();
    if (!filter.signal_id.empty()) call.record.add_signal_ids(filter.signal_id);
    page = store_->QueryAudit(
        filter, from_index,
        request->page_size() == 0 ? kMaxPage : request->page_size(),
        kMaxScanned);
  }
  std::deque<v1::AuditQueryResponse> messages;
  if (page.ok()) {
    for (v1::AuditRecord& record : page->records)
      *messages.emplace_back().mutable_record() = std::move(record);
    if (page->next_index) {
      messages.emplace_back().set_next_page_token(
          absl::StrCat(*page->next_index));
    }
    (*call.record.mutable_details())["results"] =
        absl::StrCat(page->records.size());
  }
  SetAuditOutcome(page.status(), &call.record);
  LogAudited(call.record);
  auto* stream = new MessageStream<v1::AuditQueryResponse>(std::move(messages));
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(call.record));
  store_->Record(std::move(records),
                 [stream, status = page.status()](absl::Status written) {
                   stream->Begin(written.ok() ? status : written);
                 });
  return stream;
}

grpc::ServerUnaryReactor* AuditServiceImpl::HandleGetCheckpoint(
    UnaryCall& call, const v1::GetCheckpointRequest&,
    v1::SignedCheckpoint* response) {
  SetAuditOutcome(absl::OkStatus(), &call.record());
  LogAudited(call.record());
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(call.record()));
  grpc::ServerUnaryReactor* reactor = call.reactor();
  // The checkpoint covers the call's own record.
  store_->Record(std::move(records), [this, reactor,
                                      response](absl::Status written) {
    if (!written.ok()) return reactor->Finish(ToGrpcStatus(written));
    SignAndStoreCheckpoint(
        *store_, *signer_,
        [reactor, response](absl::StatusOr<v1::SignedCheckpoint> signed_head) {
          if (signed_head.ok()) *response = *std::move(signed_head);
          reactor->Finish(ToGrpcStatus(signed_head.status()));
        });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AuditServiceImpl::HandleGetInclusionProof(
    UnaryCall& call, const v1::GetInclusionProofRequest& request,
    v1::InclusionProof* response) {
  const uint64_t size =
      request.tree_size() == 0 ? store_->AuditHead().size : request.tree_size();
  (*call.record().mutable_details())["index"] = absl::StrCat(request.index());
  (*call.record().mutable_details())["tree_size"] = absl::StrCat(size);
  absl::StatusOr<std::vector<std::string>> proof =
      store_->AuditInclusionProof(request.index(), size);
  absl::StatusOr<std::string> record =
      proof.ok() ? store_->ReadAuditRecord(request.index())
                 : absl::StatusOr<std::string>(proof.status());
  if (record.ok()) {
    response->set_index(request.index());
    response->set_tree_size(size);
    response->set_leaf_hash(merkle::LeafHash(*record));
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
    response->set_record(*std::move(record));
  }
  return call.Finish(record.status());
}

grpc::ServerUnaryReactor* AuditServiceImpl::HandleGetConsistencyProof(
    UnaryCall& call, const v1::GetConsistencyProofRequest& request,
    v1::ConsistencyProof* response) {
  const uint64_t size =
      request.new_size() == 0 ? store_->AuditHead().size : request.new_size();
  (*call.record().mutable_details())["old_size"] =
      absl::StrCat(request.old_size());
  (*call.record().mutable_details())["new_size"] = absl::StrCat(size);
  absl::StatusOr<std::vector<std::string>> proof =
      store_->AuditConsistencyProof(request.old_size(), size);
  if (proof.ok()) {
    response->set_old_size(request.old_size());
    response->set_new_size(size);
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
  }
  return call.Finish(proof.status());
}

}  // namespace ketenhub
