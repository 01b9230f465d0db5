#include "server/policy/four_eyes.h"

#include "absl/strings/str_cat.h"
#include "server/storage/time_conversion.h"

namespace ketenhub::four_eyes {
namespace {

using v1::SubjectRequest;

// NOT_FOUND without a request, FAILED_PRECONDITION when it can no longer
// change; OK for a pending or approved one within its time.
absl::Status CheckOpen(const std::optional<StoredRequest>& current,
                       absl::Time now) {
  if (!current.has_value())
    return absl::NotFoundError("request_id: no such request");
  const SubjectRequest& request = current->request();
  switch (request.state()) {
    case v1::SUBJECT_REQUEST_DONE:
      return absl::FailedPreconditionError(
          "request_id: has run already; a request runs once");
    case v1::SUBJECT_REQUEST_REFUSED:
      return absl::FailedPreconditionError("request_id: was refused");
    case v1::SUBJECT_REQUEST_EXPIRED:
      return absl::FailedPreconditionError("request_id: has expired");
    default:
      break;
  }
  if (Lapsed(request, now))
    return absl::FailedPreconditionError("request_id: has expired");
  return absl::OkStatus();
}

}  // namespace

v1::RequestPerson PersonOf(const v1::AuditRecord& record) {
  v1::RequestPerson person;
  person.set_partner_id(record.actor_partner_id());
  person.set_user_id(record.acting_user_id());
  person.set_user_role(record.acting_user_role());
  person.set_user_name(record.acting_user_name());
  return person;
}

bool SamePerson(const v1::RequestPerson& a, const v1::RequestPerson& b) {
  return a.partner_id() == b.partner_id() && a.user_id() == b.user_id();
}

std::string PersonLabel(const v1::RequestPerson& person) {
  return absl::StrCat(person.partner_id(), "/", person.user_id());
}

StoredRequest NewRequest(std::string request_id, v1::SubjectRequestKind kind,
                         std::string subject_key, std::string pseudonym,
                         std::string reason, v1::RequestPerson by,
                         absl::Time now, absl::Duration valid_for) {
  StoredRequest stored;
  stored.set_subject_key(std::move(subject_key));
  SubjectRequest& request = *stored.mutable_request();
  request.set_request_id(std::move(request_id));
  request.set_kind(kind);
  request.set_state(v1::SUBJECT_REQUEST_PENDING);
  request.set_subject_pseudonym(std::move(pseudonym));
  request.set_reason(std::move(reason));
  *request.mutable_requested_by() = std::move(by);
  SetTimestamp(now, request.mutable_requested_at());
  SetTimestamp(now + valid_for, request.mutable_expires_at());
  return stored;
}

absl::StatusOr<StoredRequest> Approve(
    const std::optional<StoredRequest>& current,
    const v1::RequestPerson& approver, absl::Time now) {
  if (absl::Status open = CheckOpen(current, now); !open.ok()) return open;
  StoredRequest next = *current;
  SubjectRequest& request = *next.mutable_request();
  if (SamePerson(request.requested_by(), approver)) {
    return absl::PermissionDeniedError(
        "approver: the person who asked may not approve their own request "
        "(four eyes)");
  }
  if (request.state() != v1::SUBJECT_REQUEST_PENDING)
    return absl::FailedPreconditionError("request_id: is approved already");
  request.set_state(v1::SUBJECT_REQUEST_APPROVED);
  *request.mutable_decided_by() = approver;
  SetTimestamp(now, request.mutable_decided_at());
  return next;
}

absl::StatusOr<StoredRequest> Refuse(
    const std::optional<StoredRequest>& current,
    const v1::RequestPerson& approver, absl::string_view reason,
    absl::Time now) {
  if (absl::Status open = CheckOpen(current, now); !open.ok()) return open;
  StoredRequest next = *current;
  SubjectRequest& request = *next.mutable_request();
  if (SamePerson(request.requested_by(), approver)) {
    return absl::PermissionDeniedError(
        "approver: the person who asked may not decide their own request "
        "(four eyes)");
  }
  if (request.state() != v1::SUBJECT_REQUEST_PENDING)
    return absl::FailedPreconditionError("request_id: is approved already");
  request.set_state(v1::SUBJECT_REQUEST_REFUSED);
  *request.mutable_decided_by() = approver;
  SetTimestamp(now, request.mutable_decided_at());
  request.set_refusal_reason(std::string(reason));
  return next;
}

absl::StatusOr<StoredRequest> Take(const std::optional<StoredRequest>& current,
                                   v1::SubjectRequestKind kind,
                                   absl::string_view subject_key,
                                   const v1::RequestPerson& runner,
                                   absl::Time now) {
  if (absl::Status open = CheckOpen(current, now); !open.ok()) return open;
  StoredRequest next = *current;
  SubjectRequest& request = *next.mutable_request();
  if (!SamePerson(request.requested_by(), runner)) {
    return absl::PermissionDeniedError(
        "request_id: asked by another person; only they may run it");
  }
  if (request.kind() != kind) {
    return absl::FailedPreconditionError(
        absl::StrCat("request_id: a request to ", KindWord(request.kind()),
                     ", not to ", KindWord(kind)));
  }
  if (next.subject_key() != subject_key) {
    return absl::FailedPreconditionError(
        "subject: not the person the request names");
  }
  if (request.state() != v1::SUBJECT_REQUEST_APPROVED) {
    return absl::FailedPreconditionError(
        "request_id: not approved yet (four eyes: a second person approves)");
  }
  request.set_state(v1::SUBJECT_REQUEST_DONE);
  SetTimestamp(now, request.mutable_done_at());
  return next;
}

absl::StatusOr<StoredRequest> Expire(
    const std::optional<StoredRequest>& current, absl::Time now) {
  if (!current.has_value())
    return absl::NotFoundError("request_id: no such request");
  if (!Lapsed(current->request(), now))
    return absl::FailedPreconditionError("request_id: has not lapsed");
  StoredRequest next = *current;
  next.mutable_request()->set_state(v1::SUBJECT_REQUEST_EXPIRED);
  return next;
}

bool Lapsed(const SubjectRequest& request, absl::Time now) {
  return (request.state() == v1::SUBJECT_REQUEST_PENDING ||
          request.state() == v1::SUBJECT_REQUEST_APPROVED) &&
         now >= FromTimestamp(request.expires_at());
}

void AddDetails(const v1::SubjectRequest& request, v1::AuditRecord* record) {
  auto& details = *record->mutable_details();
  details["request_id"] = request.request_id();
  details["kind"] = std::string(KindWord(request.kind()));
  details["requested_by"] = PersonLabel(request.requested_by());
  if (request.has_decided_by()) {
    const char* key = request.state() == v1::SUBJECT_REQUEST_REFUSED
                          ? "refused_by"
                          : "approved_by";
    details[key] = PersonLabel(request.decided_by());
  }
  if (!request.subject_pseudonym().empty())
    record->set_data_subject_pseudonym(request.subject_pseudonym());
}

absl::string_view KindWord(v1::SubjectRequestKind kind) {
  switch (kind) {
    case v1::SUBJECT_REQUEST_EXPORT:
      return "export";
    case v1::SUBJECT_REQUEST_ERASE:
      return "erase";
    default:
      return "unknown";
  }
}

}  // namespace ketenhub::four_eyes
