#ifndef KETENHUB_SERVER_STORAGE_AUDIT_TRAIL_H_
#define KETENHUB_SERVER_STORAGE_AUDIT_TRAIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/storage/audit_query.h"

namespace ketenhub {

// Runs exactly once, on the commit pipeline's thread; must not block.
using StatusCallback = absl::AnyInvocable<void(absl::Status) &&>;

// The audit trail of a SignalStore: an append-only log of AuditRecords, each
// a leaf of an RFC 6962 Merkle tree, with the signed tree heads (checkpoints)
// the hub made of it. Records of a store's writes are appended in the write's
// own batch (SignalStore); these are the trail's own appends and its reads.
// Reads see the committed tree only. Thread-safe.
class AuditTrail {
 public:
  virtual ~AuditTrail() = default;

  // Appends complete audit records (reads, deliveries, refusals, queries,
  // reloads) on their own; `done` gets OK once they are on disk.
  virtual void Record(std::vector<v1::AuditRecord> records,
                      StatusCallback done) = 0;

  // Stores a signed audit tree head, for offline verification.
  virtual void StoreCheckpoint(v1::SignedCheckpoint checkpoint,
                               StatusCallback done) = 0;

  // The committed audit tree.
  struct TreeHead {
    uint64_t size = 0;
    std::string root;  // RFC 6962 MTH, 32 bytes
  };
  virtual TreeHead Head() const = 0;
  // The stored checkpoint of the largest tree (read when the store opened,
  // then each one stored), kept in memory: cheap enough for every receipt.
  // Null when there is none.
  virtual std::shared_ptr<const v1::SignedCheckpoint> NewestCheckpoint()
      const = 0;

  // Committed audit records matching `filter` with index >= `from_index`, in
  // index (= time) order: at most `max`, from a scan of at most `max_scanned`
  // records. `next_index` is where to resume, or nullopt at the end.
  virtual absl::StatusOr<AuditPage> Query(const AuditFilter& filter,
                                          uint64_t from_index, size_t max,
                                          size_t max_scanned) const = 0;

  // The stored bytes of record `index` (an AuditRecord: its leaf).
  // OUT_OF_RANGE beyond the committed tree.
  virtual absl::StatusOr<std::string> ReadRecord(uint64_t index) const = 0;

  // RFC 6962 proofs over the committed tree; OUT_OF_RANGE for sizes beyond
  // it, INVALID_ARGUMENT for impossible index/size pairs.
  virtual absl::StatusOr<std::vector<std::string>> InclusionProof(
      uint64_t index, uint64_t tree_size) const = 0;
  virtual absl::StatusOr<std::vector<std::string>> ConsistencyProof(
      uint64_t old_size, uint64_t new_size) const = 0;
  // The root of the tree of the first `size` records (MTH; OUT_OF_RANGE
  // beyond the committed tree).
  virtual absl::StatusOr<std::string> RootAt(uint64_t size) const = 0;

  // Witnesses: each one's newest cosignature, stored with `audit` (see
  // MakeCosignatureWrite), and all of them, by witness key id.
  virtual void StoreCosignature(v1::Cosignature cosignature,
                                v1::AuditRecord audit, StatusCallback done) = 0;
  virtual absl::StatusOr<std::vector<v1::Cosignature>> Cosignatures() const = 0;
  // Deletes the cosignatures of `witness_key_ids`, with `audit` (the
  // operator accepted a trail they contradict).
  virtual void ForgetCosignatures(std::vector<std::string> witness_key_ids,
                                  v1::AuditRecord audit,
                                  StatusCallback done) = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_AUDIT_TRAIL_H_
