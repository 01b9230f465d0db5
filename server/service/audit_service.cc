#include "server/service/audit_service.h"

#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/audit/merkle.h"
#include "server/service/audit_answers.h"
#include "server/service/audit_checkpoints.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/service/message_stream.h"
#include "server/service/parsed_request.h"
#include "server/service/unary_call.h"
#include "server/service/work_queue.h"
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

absl::StatusOr<AuditServiceImpl::QueryPlan> AuditServiceImpl::PlanQuery(
    const v1::AuditQueryRequest& request, v1::AuditRecord& record) const {
  QueryPlan plan;
  if (request.has_subject()) {
    absl::StatusOr<std::string> key =
        pseudonymizer_->LookupKey(request.subject());
    if (!key.ok()) return key.status();
    plan.filter.subject_pseudonym = SubjectPseudonym(*key);
    for (const std::string& earlier :
         pseudonymizer_->EarlierSubjectKeys(request.subject())) {
      plan.filter.earlier_pseudonyms.push_back(SubjectPseudonym(earlier));
    }
    // By a weak identifier: the records about every person (known or not)
    // whose signals carry it.
    if (!SubjectPseudonymizer::HasStrongIdentifier(request.subject())) {
      absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> carrying =
          store_->SubjectIndex(*key);
      if (!carrying.ok()) return carrying.status();
      for (const v1::storage::SubjectIndexEntry& entry : *carrying) {
        const std::string person = SubjectPseudonym(entry.subject_key());
        auto& persons = plan.filter.earlier_pseudonyms;
        if (std::find(persons.begin(), persons.end(), person) == persons.end())
          persons.push_back(person);
      }
    }
    record.set_data_subject_pseudonym(plan.filter.subject_pseudonym);
  }
  absl::StatusOr<absl::Time> from =
      ReadTime(request.from(), "from", absl::InfinitePast());
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> to =
      ReadTime(request.to(), "to", absl::InfiniteFuture());
  if (!to.ok()) return to.status();
  if (!request.page_token().empty() &&
      !absl::SimpleAtoi(request.page_token(), &plan.from_index)) {
    return absl::InvalidArgumentError(
        "page_token: not a token this hub gave out");
  }
  if (request.page_size() > kMaxPage)
    return absl::InvalidArgumentError("page_size: at most 1000");
  plan.page_size = request.page_size() == 0 ? kMaxPage : request.page_size();
  plan.filter.actor = request.actor();
  plan.filter.operation = request.operation();
  plan.filter.outcome = request.outcome();
  plan.filter.from = *from;
  plan.filter.to = *to;
  plan.filter.trace_id = request.trace_id();
  plan.filter.signal_id = request.signal_id();
  if (!plan.filter.signal_id.empty())
    record.add_signal_ids(plan.filter.signal_id);
  plan.filter.user = request.user();
  if (!plan.filter.user.empty())
    (*record.mutable_details())["queried_user"] = plan.filter.user;
  plan.filter.cross_check = request.cross_check();
  if (request.cross_check()) (*record.mutable_details())["cross_check"] = "1";
  return plan;
}

grpc::ServerWriteReactor<v1::AuditQueryResponse>* AuditServiceImpl::Query(
    grpc::CallbackServerContext* context,
    const v1::AuditQueryRequest* request) {
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "audit_query",
                               v1::ROLE_AUDITOR);
  absl::StatusOr<QueryPlan> plan =
      call.allowed.ok() ? PlanQuery(*request, call.record)
                        : absl::StatusOr<QueryPlan>(call.allowed);
  auto* stream = new MessageStream<v1::AuditQueryResponse>();
  // The scan leaves gRPC's threads.
  queries_.Run([this, stream, plan = std::move(plan),
                record = std::move(call.record)]() mutable {
    absl::StatusOr<AuditPage> page =
        plan.ok() ? store_->audit().Query(plan->filter, plan->from_index,
                                          plan->page_size, kMaxScanned)
                  : absl::StatusOr<AuditPage>(plan.status());
    std::deque<v1::AuditQueryResponse> messages;
    if (page.ok()) {
      for (v1::AuditRecord& found : page->records)
        *messages.emplace_back().mutable_record() = std::move(found);
      if (page->next_index) {
        messages.emplace_back().set_next_page_token(
            absl::StrCat(*page->next_index));
      }
      (*record.mutable_details())["results"] =
          absl::StrCat(page->records.size());
    }
    RecordThenBegin(*store_, std::move(record), page.status(), stream,
                    std::move(messages));
  });
  return stream;
}

grpc::ServerUnaryReactor* AuditServiceImpl::HandleGetCheckpoint(
    UnaryCall& call, const v1::GetCheckpointRequest&,
    v1::SignedCheckpoint* response) {
  return AnswerCheckpoint(call, *store_, *signer_, response);
}

grpc::ServerUnaryReactor* AuditServiceImpl::HandleGetInclusionProof(
    UnaryCall& call, const v1::GetInclusionProofRequest& request,
    v1::InclusionProof* response) {
  const uint64_t size = request.tree_size() == 0 ? store_->audit().Head().size
                                                 : request.tree_size();
  (*call.record().mutable_details())["index"] = absl::StrCat(request.index());
  (*call.record().mutable_details())["tree_size"] = absl::StrCat(size);
  absl::StatusOr<std::vector<std::string>> proof =
      store_->audit().InclusionProof(request.index(), size);
  absl::StatusOr<std::string> record =
      proof.ok() ? store_->audit().ReadRecord(request.index())
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
  return AnswerConsistencyProof(call, *store_, request, response);
}

}  // namespace ketenhub
