#ifndef KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_
#define KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/audit/merkle.h"
#include "server/storage/database.h"
#include "server/storage/mutation.h"

namespace ketenhub {

// Internal to the storage layer. One thread takes every queued mutation,
// applies the whole group to one WriteBatch and writes it with one fsync;
// a second thread completes the group's mutations (in commit order) while
// the first commits the next group. Only the first thread writes, so signal
// sequences and event cursors are dense and in commit order.
class CommitPipeline {
 public:
  // Called on the pipeline thread after each group that appended events,
  // with the last committed cursor. Must not block.
  using EventListener = std::function<void(uint64_t last_cursor)>;

  // `database` must outlive the pipeline; `next_sequence` and `next_cursor`
  // are the first free signal sequence and event cursor.
  CommitPipeline(Database* database, size_t max_group_size,
                 uint64_t next_sequence, uint64_t next_cursor,
                 merkle::Frontier audit_tree, EventListener listener);
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;
  ~CommitPipeline();  // Stops.

  // Queues `mutation`; once stopped, completes it at once with UNAVAILABLE.
  void Enqueue(std::unique_ptr<Mutation> mutation);

  // The cursor of the last committed event (0 when there is none).
  uint64_t last_cursor() const {
    return last_cursor_.load(std::memory_order_acquire);
  }

  // Whether the last synced write failed (storage trouble): every commit
  // fails until storage works again. ClearWriteFailure after a successful
  // probe.
  bool last_write_failed() const {
    return last_write_failed_.load(std::memory_order_acquire);
  }
  void ClearWriteFailure() {
    last_write_failed_.store(false, std::memory_order_release);
  }

  // The committed audit tree: its size and root hash.
  struct TreeHead {
    uint64_t size = 0;
    std::string root;
  };
  TreeHead audit_tree_head() const;

  // Commits what is queued, completes it, then stops the threads.
  // Idempotent.
  void Stop();

 private:
  using Group = std::vector<std::unique_ptr<Mutation>>;
  struct Committed {
    Group group;
    absl::Status written;
  };

  void Run();
  absl::Status CommitGroup(Group& group);
  void RunCompletions();

  Database* const database_;
  const size_t max_group_size_;
  const EventListener listener_;
  uint64_t next_sequence_;  // only the pipeline thread touches these two
  uint64_t next_cursor_;
  merkle::Frontier audit_tree_;
  absl::Time last_time_ = absl::InfinitePast();  // group times never go back
  std::atomic<uint64_t> last_cursor_;
  std::atomic<bool> last_write_failed_{false};
  mutable absl::Mutex head_mu_;
  merkle::Frontier committed_tree_ ABSL_GUARDED_BY(head_mu_);

  absl::Mutex mu_;
  std::deque<std::unique_ptr<Mutation>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex completion_mu_;
  std::deque<Committed> committed_ ABSL_GUARDED_BY(completion_mu_);
  bool committer_done_ ABSL_GUARDED_BY(completion_mu_) = false;

  // Last: they start running in the constructor.
  std::thread completer_;
  std::thread thread_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_COMMIT_PIPELINE_H_
