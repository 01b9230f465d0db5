// AdminService's calls on a person's whole file (AVG art. 15 and 17):
// each runs only on an approved four-eyes request, which it uses up.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/policy/four_eyes.h"
#include "server/service/admin_service.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/service/message_stream.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxHistory = 10000;  // audit records per query page
// A subject export's parts stay well under gRPC's default 4 MiB message.
constexpr size_t kExportPartBytes = 1 << 20;

}  // namespace

grpc::ServerWriteReactor<v1::ExportSubjectResponse>*
AdminServiceImpl::ExportSubject(grpc::CallbackServerContext* context,
                                const v1::ExportSubjectRequest* request) {
  AuditedCall call = BeginCall(context, *policy_, *certificates_,
                               "subject_export", v1::ROLE_OPERATOR);
  absl::StatusOr<std::string> key =
      call.allowed.ok() ? pseudonymizer_->LookupKey(request->subject())
                        : absl::StatusOr<std::string>(call.allowed);
  std::vector<std::string> earlier;
  if (key.ok()) {
    call.record.set_data_subject_pseudonym(SubjectPseudonym(*key));
    for (const std::string& earlier_key :
         pseudonymizer_->EarlierSubjectKeys(request->subject())) {
      earlier.push_back(SubjectPseudonym(earlier_key));
    }
  }
  absl::StatusOr<SubjectRequestChange> take =
      key.ok() ? TakeRequest(v1::SUBJECT_REQUEST_EXPORT, request->request_id(),
                             *key, call.record)
               : absl::StatusOr<SubjectRequestChange>(key.status());
  auto* stream = new MessageStream<v1::ExportSubjectResponse>();
  // The reads leave gRPC's threads.
  exports_.Run([this, stream, key = std::move(key), take = std::move(take),
                earlier = std::move(earlier),
                record = std::move(call.record)]() mutable {
    absl::StatusOr<std::deque<v1::ExportSubjectResponse>> parts =
        take.ok() ? ExportParts(*key, SubjectPseudonym(*key), earlier, record)
                  : absl::StatusOr<std::deque<v1::ExportSubjectResponse>>(
                        take.status());
    if (!parts.ok()) {
      RecordThenBegin(*store_, std::move(record), parts.status(), stream,
                      std::deque<v1::ExportSubjectResponse>());
      return;
    }
    // The approval is used up in the write of the export's record: only
    // then does the first part leave.
    v1::AuditRecord logged = record;
    store_->requests().Change(
        *std::move(take), std::move(record),
        [stream, parts = *std::move(parts), logged = std::move(logged)](
            absl::StatusOr<v1::SubjectRequest> taken) mutable {
          LogOutcome(std::move(logged), taken.status(), "");
          stream->Begin(taken.ok() ? std::move(parts)
                                   : std::deque<v1::ExportSubjectResponse>(),
                        taken.status());
        });
  });
  return stream;
}

absl::StatusOr<SubjectRequestChange> AdminServiceImpl::TakeRequest(
    v1::SubjectRequestKind kind, const std::string& request_id,
    const std::string& subject_key, v1::AuditRecord& record) const {
  if (request_id.empty() || request_id.size() > 64) {
    return absl::InvalidArgumentError(
        "request_id: required, at most 64 bytes: an approved request "
        "(SubjectRequestService; four eyes)");
  }
  (*record.mutable_details())["request_id"] = request_id;
  // The details of the request as it stands; the commit decides.
  absl::StatusOr<std::optional<four_eyes::StoredRequest>> stored =
      store_->requests().Get(request_id);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) four_eyes::AddDetails((*stored)->request(), &record);
  record.set_data_subject_pseudonym(SubjectPseudonym(subject_key));
  const v1::RequestPerson runner = four_eyes::PersonOf(record);
  // Refused now if it would be refused at the commit: nothing of the
  // person's file is read (or decrypted) for a request that cannot run.
  absl::StatusOr<four_eyes::StoredRequest> would =
      four_eyes::Take(*stored, kind, subject_key, runner, absl::Now());
  if (!would.ok()) return would.status();
  SubjectRequestChange change;
  change.request_id = request_id;
  change.decide = [kind, subject_key, runner](
                      const std::optional<four_eyes::StoredRequest>& current,
                      absl::Time now) {
    return four_eyes::Take(current, kind, subject_key, runner, now);
  };
  return change;
}

absl::StatusOr<std::deque<v1::ExportSubjectResponse>>
AdminServiceImpl::ExportParts(const std::string& subject_key,
                              const std::string& pseudonym,
                              const std::vector<std::string>& earlier,
                              v1::AuditRecord& record) const {
  absl::StatusOr<std::vector<v1::storage::StoredSignal>> signals =
      store_->SubjectSignals(subject_key);
  if (!signals.ok()) return signals.status();
  std::deque<v1::ExportSubjectResponse> parts(1);
  parts.back().set_subject_pseudonym(pseudonym);
  size_t part_bytes = pseudonym.size();
  // The part to add an item of `bytes` to: a new one once the current one
  // would pass kExportPartBytes (an item alone is always far smaller).
  auto part_for = [&](size_t bytes) -> v1::ExportSubjectResponse& {
    bytes += 8;  // its tag and length
    if (part_bytes + bytes > kExportPartBytes && part_bytes > 0) {
      parts.emplace_back();
      part_bytes = 0;
    }
    part_bytes += bytes;
    return parts.back();
  };
  // Found by a weak identifier, the signals may be about several persons
  // (known or not): the history covers each.
  std::vector<std::string> persons = earlier;
  for (const v1::storage::StoredSignal& stored : *signals) {
    const std::string person = SubjectPseudonym(stored.subject_key());
    if (person != pseudonym &&
        std::find(persons.begin(), persons.end(), person) == persons.end()) {
      persons.push_back(person);
    }
  }
  for (const v1::storage::StoredSignal& stored : *signals) {
    v1::SubjectSignal out;
    out.set_signal_id(stored.signal_id());
    out.set_source_partner(stored.source_partner());
    *out.mutable_received_at() = stored.received_at();
    out.set_state(stored.state());
    *out.mutable_signal() = stored.signal();
    if (stored.has_decision()) *out.mutable_decision() = stored.decision();
    *out.mutable_receivers() = stored.receivers();
    record.add_signal_ids(stored.signal_id());
    *part_for(out.ByteSizeLong()).add_signals() = std::move(out);
  }
  AuditFilter filter;
  filter.subject_pseudonym = pseudonym;
  filter.earlier_pseudonyms = persons;
  std::optional<uint64_t> from = 0;
  while (from) {
    absl::StatusOr<AuditPage> history =
        store_->audit().Query(filter, *from, kMaxHistory, kMaxHistory);
    if (!history.ok()) return history.status();
    for (v1::AuditRecord& entry : history->records) {
      *part_for(entry.ByteSizeLong()).add_access_history() = std::move(entry);
    }
    from = history->next_index;
  }
  (*record.mutable_details())["parts"] = absl::StrCat(parts.size());
  return parts;
}

grpc::ServerUnaryReactor* AdminServiceImpl::HandleEraseSubject(
    UnaryCall& call, const v1::EraseSubjectRequest& request,
    v1::EraseSubjectResponse* response) {
  absl::StatusOr<std::string> key =
      pseudonymizer_->LookupKey(request.subject());
  if (!key.ok()) return call.Finish(key.status());
  absl::StatusOr<SubjectRequestChange> take = TakeRequest(
      v1::SUBJECT_REQUEST_ERASE, request.request_id(), *key, call.record());
  if (!take.ok()) return call.Finish(take.status());
  // The erasure's reason is the request's.
  absl::StatusOr<std::optional<four_eyes::StoredRequest>> stored =
      store_->requests().Get(request.request_id());
  if (!stored.ok()) return call.Finish(stored.status());
  const std::string reason =
      stored->has_value() ? (*stored)->request().reason() : "";
  if (!request.reason().empty() && request.reason() != reason) {
    return call.Finish(absl::InvalidArgumentError(
        "reason: differs from the request's; leave it out"));
  }
  grpc::ServerUnaryReactor* reactor = call.reactor();
  (*call.record().mutable_details())["reason"] = reason;
  DestroyCommand command;
  command.subject_key = *key;  // works even when some content is damaged
  // Erasure (the rule names its reason). Without a stored request the
  // take refuses it before anything is destroyed.
  command.erasure_reason = reason.empty() ? "(no request)" : reason;
  command.as_of = absl::Now();
  command.audit = call.record();
  command.request = *std::move(take);
  store_->maintenance().Destroy(
      std::move(command),
      [reactor, response, draft = call.record()](
          absl::StatusOr<std::vector<v1::storage::StoredSignal>>
              destroyed) mutable {
        if (destroyed.ok()) {
          for (const v1::storage::StoredSignal& signal : *destroyed)
            response->add_erased_signal_ids(signal.signal_id());
        }
        LogOutcome(std::move(draft), destroyed.status(), "");
        reactor->Finish(ToGrpcStatus(destroyed.status()));
      });
  return reactor;
}

}  // namespace ketenhub
