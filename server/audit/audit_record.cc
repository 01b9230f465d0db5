#include "server/audit/audit_record.h"

#include "absl/strings/escaping.h"

namespace ketenhub {

void SetAuditOutcome(const absl::Status& status, v1::AuditRecord* record) {
  record->set_status_code(absl::StatusCodeToString(status.code()));
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
      record->set_status_rule(std::string(status.message()));
      break;
    default:
      record->clear_status_rule();
      break;
  }
}

std::string SubjectPseudonym(absl::string_view subject_key) {
  return absl::BytesToHexString(subject_key);
}

}  // namespace ketenhub
