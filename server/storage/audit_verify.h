#ifndef KETENHUB_SERVER_STORAGE_AUDIT_VERIFY_H_
#define KETENHUB_SERVER_STORAGE_AUDIT_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/audit.pb.h"

namespace ketenhub {

// The outcome of an offline check of a hub's audit trail.
struct AuditVerification {
  uint64_t records = 0;      // records read
  std::string root;          // recomputed MTH over them
  uint64_t checkpoints = 0;  // signed checkpoints whose root was recomputed
  // Empty when everything checked out; otherwise the first problem found,
  // with the first bad record's index when one can be named.
  std::string problem;
  std::optional<uint64_t> first_bad_record;
};

// Recomputes the whole audit tree of the hub database at `db_path` (opened
// read-only: a stopped hub's data dir or a copy of it), compares every record
// and tree node with what is stored, and every stored checkpoint plus
// `trusted` (checkpoints the auditor kept) with the recomputed root at its
// size. Signatures are checked against `public_key_pem` (Ed25519 PEM).
// `progress(records)` is called now and then. Returns the verification (a
// found problem is a result, not an error); fails only when the database
// cannot be opened or the key is unreadable.
absl::StatusOr<AuditVerification> VerifyAuditLog(
    const std::string& db_path, absl::string_view public_key_pem,
    const std::vector<v1::SignedCheckpoint>& trusted,
    const std::function<void(uint64_t)>& progress);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_AUDIT_VERIFY_H_
