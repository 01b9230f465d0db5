#ifndef KETENHUB_SERVER_STORAGE_STORE_INTERNAL_H_
#define KETENHUB_SERVER_STORAGE_STORE_INTERNAL_H_

// Internal to the storage layer (and its tests): what the three parts of a
// SignalStore (signals and events, the audit trail, maintenance) share.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/audit/merkle.h"
#include "server/crypto/kek_ring.h"
#include "server/storage/audit_trail.h"
#include "server/storage/commit_pipeline.h"
#include "server/storage/database.h"
#include "server/storage/store_maintenance.h"
#include "server/storage/subject_request_store.h"

namespace ketenhub {

// One open store: its keys, its database and the pipeline every write goes
// through. Not movable: the pipeline's thread calls back into it.
class StoreCore {
 public:
  StoreCore(std::unique_ptr<KekRing> keys, std::unique_ptr<Database> database,
            size_t max_group_size, uint64_t next_sequence, uint64_t next_cursor,
            merkle::Frontier audit_tree)
      : keys_(std::move(keys)),
        database_(std::move(database)),
        pipeline_(database_.get(), max_group_size, next_sequence, next_cursor,
                  std::move(audit_tree),
                  [this](uint64_t last) { NotifyListener(last); }) {}
  StoreCore(const StoreCore&) = delete;
  StoreCore& operator=(const StoreCore&) = delete;

  KekRing& keys() const { return *keys_; }
  Database& database() const { return *database_; }
  CommitPipeline& pipeline() { return pipeline_; }
  const CommitPipeline& pipeline() const { return pipeline_; }

  // Replaces the listener called after every commit that appended events.
  void SetEventListener(std::function<void(uint64_t)> listener) {
    absl::MutexLock lock(&listener_mu_);
    listener_ = std::move(listener);
  }

  // Starts flushing the memtables (without waiting), so that shredded keys
  // and content leave the write-ahead log now; periodic compaction then
  // drops them from the SST files within a day.
  void FlushSoon() { (void)database_->FlushAll(/*wait=*/false); }

 private:
  void NotifyListener(uint64_t last) {
    absl::MutexLock lock(&listener_mu_);
    if (listener_) listener_(last);
  }

  const std::unique_ptr<KekRing> keys_;
  const std::unique_ptr<Database> database_;
  absl::Mutex listener_mu_;
  std::function<void(uint64_t)> listener_ ABSL_GUARDED_BY(listener_mu_);
  CommitPipeline pipeline_;  // last: its thread calls NotifyListener
};

// The audit trail of `core` (audit_trail.cc), whose newest stored
// checkpoint is `newest_stored` (Database::LastCheckpoint, read by the
// open); `core` must outlive it.
std::unique_ptr<AuditTrail> MakeAuditTrail(
    StoreCore& core, std::optional<v1::SignedCheckpoint> newest_stored);

// The maintenance side of `core` (store_maintenance.cc); `core` must outlive
// it.
std::unique_ptr<StoreMaintenance> MakeStoreMaintenance(StoreCore& core);

// The four-eyes requests of `core` (subject_request_store.cc); `core` must
// outlive them.
std::unique_ptr<SubjectRequestStore> MakeSubjectRequestStore(StoreCore& core);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_STORE_INTERNAL_H_
