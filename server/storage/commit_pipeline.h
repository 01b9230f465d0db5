#ifndef KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_
#define KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/storage/database.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// Internal to the storage layer. One thread takes every queued submit, checks
// it against stored state (idempotency), writes the whole group in one
// WriteBatch with one fsync, then runs the callbacks. Only this thread writes
// signals, so sequence numbers are dense and in commit order.
class CommitPipeline {
 public:
  // `database` must outlive the pipeline. `next_sequence` is the first free
  // sequence number.
  CommitPipeline(Database* database, size_t max_group_size,
                 uint64_t next_sequence);
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;
  ~CommitPipeline();  // Stops.

  void Enqueue(SubmitCommand command, ReceiptCallback done);

  // Commits what is queued, then stops the thread. Idempotent.
  void Stop();

 private:
  struct Pending {
    SubmitCommand command;
    ReceiptCallback done;
    std::string idempotency_key;
    std::string content_hash;
  };
  struct Outcome;

  void Run();
  void CommitGroup(std::vector<Pending>& group);
  Outcome Resolve(const Pending& pending, rocksdb::WriteBatch& batch,
                  absl::Time received_at);

  Database* const database_;
  const size_t max_group_size_;
  uint64_t next_sequence_;  // only the pipeline thread touches it

  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Idempotency records written in the group being committed, by key.
  absl::flat_hash_map<std::string, v1::storage::IdempotencyRecord> in_group_;
  std::thread thread_;  // last: it starts running in the constructor
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_
