#ifndef KETENHUB_SERVER_AUDIT_AUDIT_RECORD_H_
#define KETENHUB_SERVER_AUDIT_AUDIT_RECORD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/audit.pb.h"

namespace ketenhub {

// Sets the record's status code and, for refusals, the rule: the status
// message, which by the hub's convention names a field or rule and never a
// value. Storage and internal failures get no rule (their messages may name
// internals).
void SetAuditOutcome(const absl::Status& status, v1::AuditRecord* record);

// How a subject key (binary HMAC) appears in audit records: lower-case hex.
std::string SubjectPseudonym(absl::string_view subject_key);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_AUDIT_AUDIT_RECORD_H_
