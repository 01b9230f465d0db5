#ifndef KETENHUB_SERVER_POLICY_FOUR_EYES_H_
#define KETENHUB_SERVER_POLICY_FOUR_EYES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "ketenhub/v1/subject_request.pb.h"

// The life of a four-eyes request on a person's whole file: asked by one
// person, approved (or refused) by another, run once by the one who asked,
// all before it expires. Pure: the store applies these on its commit
// pipeline, against the request as stored, so that two calls cannot both
// take one approval.
namespace ketenhub::four_eyes {

using StoredRequest = v1::storage::StoredSubjectRequest;

// The person an audit record names: its partner and acting user.
v1::RequestPerson PersonOf(const v1::AuditRecord& record);
// Same partner and same keten-user: one person.
bool SamePerson(const v1::RequestPerson& a, const v1::RequestPerson& b);
// "partner/user", for audit details and messages.
std::string PersonLabel(const v1::RequestPerson& person);

// A new pending request by `by`, open until `now` + `valid_for`.
StoredRequest NewRequest(std::string request_id, v1::SubjectRequestKind kind,
                         std::string subject_key, std::string pseudonym,
                         std::string reason, v1::RequestPerson by,
                         absl::Time now, absl::Duration valid_for);

// Each answers the request as changed, or the refusal naming the field or
// rule. `current` is the stored request, nullopt when none has the id
// (NOT_FOUND "request_id: ..."). A request that is done, refused or
// expired, or whose expires_at has passed, is FAILED_PRECONDITION.

// `approver` approves a pending request; PERMISSION_DENIED when they asked
// it themselves.
absl::StatusOr<StoredRequest> Approve(
    const std::optional<StoredRequest>& current,
    const v1::RequestPerson& approver, absl::Time now);
// As Approve, refusing it with `reason`.
absl::StatusOr<StoredRequest> Refuse(
    const std::optional<StoredRequest>& current,
    const v1::RequestPerson& approver, absl::string_view reason,
    absl::Time now);
// `runner` runs an approved request of `kind` for the person `subject_key`:
// it becomes done. PERMISSION_DENIED when `runner` is not the person who
// asked; FAILED_PRECONDITION for another kind, another person, or a request
// not approved yet.
absl::StatusOr<StoredRequest> Take(const std::optional<StoredRequest>& current,
                                   v1::SubjectRequestKind kind,
                                   absl::string_view subject_key,
                                   const v1::RequestPerson& runner,
                                   absl::Time now);
// A pending or approved request past its expires_at becomes expired;
// anything else is FAILED_PRECONDITION (nothing to expire).
absl::StatusOr<StoredRequest> Expire(
    const std::optional<StoredRequest>& current, absl::Time now);

// Whether `request` is pending or approved and past its time at `now`.
bool Lapsed(const v1::SubjectRequest& request, absl::Time now);

// The audit details every four-eyes record carries: request_id, kind,
// requested_by and, once decided, approved_by or refused_by; and the
// request's person as the record's data subject.
void AddDetails(const v1::SubjectRequest& request, v1::AuditRecord* record);

// "export" or "erase".
absl::string_view KindWord(v1::SubjectRequestKind kind);

}  // namespace ketenhub::four_eyes

#endif  // KETENHUB_SERVER_POLICY_FOUR_EYES_H_
