#ifndef KETENHUB_CONSOLE_AUDIT_REPORT_H_
#define KETENHUB_CONSOLE_AUDIT_REPORT_H_

#include <optional>
#include <string>

#include "client/audit_client.h"
#include "console/pages.h"

namespace ketenhub::console {

// At most this many records in one report on screen.
inline constexpr size_t kMaxReportRecords = 500;

// The auditor's page: the trail verified against `hub_key_pem` (a fresh
// checkpoint from the hub), and, with `question`, its records oldest first.
// `asked` names what was asked, for the report's title.
AuditView BuildAuditView(AuditClient& auditor, const std::string& hub_key_pem,
                         std::optional<v1::AuditQueryRequest> question,
                         std::string asked);

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_AUDIT_REPORT_H_
