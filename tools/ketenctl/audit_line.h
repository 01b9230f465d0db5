#ifndef KETENHUB_TOOLS_KETENCTL_AUDIT_LINE_H_
#define KETENHUB_TOOLS_KETENCTL_AUDIT_LINE_H_

#include <string>

#include "ketenhub/v1/audit.pb.h"

namespace ketenhub {

// One audit record as `ketenctl audit query` prints it, ending in a newline:
// time, index, actor, role, operation, outcome (with the rule), legal basis,
// the person who acted ("by ID (ROLE)"), on whose behalf and signal ids.
// Whatever the record holds (it comes from the hub), the line is one line:
// control characters in its fields are shown as '?'.
std::string AuditRecordLine(const v1::AuditRecord& record);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_AUDIT_LINE_H_
