#ifndef KETENHUB_SERVER_STORAGE_AUDIT_QUERY_H_
#define KETENHUB_SERVER_STORAGE_AUDIT_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"

namespace ketenhub {

// Which audit records a query wants; empty fields match everything.
struct AuditFilter {
  std::string subject_pseudonym;  // as in AuditRecord (hex)
  // The same person under earlier pseudonym keys (after a re-keying).
  std::vector<std::string> earlier_pseudonyms;
  std::string actor;  // partner id or OIN
  std::string operation;
  v1::AuditOutcome outcome = v1::AUDIT_OUTCOME_ANY;
  absl::Time from = absl::InfinitePast();  // on end_time, inclusive
  absl::Time to = absl::InfiniteFuture();  // exclusive
  std::string trace_id;
  std::string signal_id;
  std::string user;  // acting_user_id
  // With a person, signal or user: read every record in range rather than
  // the index, and check the index against them both ways (DATA_LOSS
  // naming the first record the index misses or names wrongly). Slower:
  // for an inquiry that must not rely on the index.
  bool cross_check = false;
};

struct AuditPage {
  std::vector<v1::AuditRecord> records;
  std::optional<uint64_t> next_index;  // resume here; nullopt: the end
};

// True when `record` passes every filter field.
bool AuditFilterMatches(const AuditFilter& filter,
                        const v1::AuditRecord& record);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_AUDIT_QUERY_H_
