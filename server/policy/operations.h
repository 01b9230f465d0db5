#ifndef KETENHUB_SERVER_POLICY_OPERATIONS_H_
#define KETENHUB_SERVER_POLICY_OPERATIONS_H_

#include <array>

#include "absl/strings/string_view.h"

namespace ketenhub {

// The names of the hub's operations as audit records and the policy's
// processing activities spell them.
inline constexpr std::array<absl::string_view, 41> kOperations = {
    "submit", "get_status", "withdraw", "subscribe", "deliver", "ack",
    "get_signal", "release", "decide",
    "worklist",  // a receiver's worklist and its steps
    "assign", "close", "reopen",
    "judge_match",  // a possible match confirmed or dismissed
    "hand_over",    // between the chain director and the care coordinator
    "reload_policy", "list_unrouted", "audit_query", "audit_checkpoint",
    "audit_inclusion_proof", "audit_consistency_proof", "run_retention",
    "retention_purge", "subject_export", "subject_erase", "rotate_kek",
    "backup",
    "hub_start",             // the hub's own record of each start
    "restore",               // ketenhub-admin, offline
    "rekey_pseudonyms",      // ketenhub-admin, offline
    "signing_key_replaced",  // --replace-lost-signing-key at a start
    "kek_replaced",          // --replace-lost-kek at a start
    "audit_cosign",          // a witness's cosignature (WitnessService)
    "rollback_accepted",     // --accept-rollback at a start
    "report",                // figures for the council (ReportService)
    // Four eyes on a person's whole file (SubjectRequestService).
    "subject_request",          // an operator's person asks
    "subject_approve",          // a second person approves
    "subject_refuse",           // or refuses
    "subject_requests",         // the list of requests
    "subject_request_expired",  // the hub: not approved and run in time
    "keys_moved_to_token",      // ketenhub-admin, offline
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_OPERATIONS_H_
