#ifndef KETENHUB_SERVER_STORAGE_SUBJECT_REQUEST_STORE_H_
#define KETENHUB_SERVER_STORAGE_SUBJECT_REQUEST_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/policy/four_eyes.h"

namespace ketenhub {

// A change to one four-eyes request, decided on the commit pipeline against
// the request as stored there (four_eyes.h), so that two calls never both
// take one approval. `decide` gets the stored request (nullopt: none has
// the id) and the commit's time, and answers the request to store or the
// refusal. Without a `decide`, the change is absent (DestroyCommand).
struct SubjectRequestChange {
  std::string request_id;
  std::function<absl::StatusOr<four_eyes::StoredRequest>(
      const std::optional<four_eyes::StoredRequest>&, absl::Time)>
      decide;
};

// Runs exactly once, on the commit pipeline's thread (must not block), with
// the request as stored after the change, or the refusal.
using SubjectRequestCallback =
    absl::AnyInvocable<void(absl::StatusOr<v1::SubjectRequest>) &&>;

// The four-eyes requests of a SignalStore, in its database. Thread-safe.
class SubjectRequestStore {
 public:
  virtual ~SubjectRequestStore() = default;

  // Applies `change` and appends `audit` (completed with the outcome) in
  // the same synced batch, refusals too: a refused change stores nothing
  // else. UNAVAILABLE when the batch cannot be written.
  virtual void Change(SubjectRequestChange change, v1::AuditRecord audit,
                      SubjectRequestCallback done) = 0;

  // The stored request `request_id`, or nullopt.
  virtual absl::StatusOr<std::optional<four_eyes::StoredRequest>> Get(
      absl::string_view request_id) const = 0;
  // Every stored request, oldest first.
  virtual absl::StatusOr<std::vector<four_eyes::StoredRequest>> List()
      const = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SUBJECT_REQUEST_STORE_H_
