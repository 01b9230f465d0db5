#include "server/storage/commit_pipeline.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/common/thread_name.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {

CommitPipeline::CommitPipeline(Database* database, size_t max_group_size,
                               uint64_t next_sequence, uint64_t next_cursor,
                               merkle::Frontier audit_tree,
                               EventListener listener)
    : database_(database),
      max_group_size_(std::max<size_t>(1, max_group_size)),
      listener_(std::move(listener)),
      next_sequence_(next_sequence),
      next_cursor_(next_cursor),
      audit_tree_(audit_tree),
      last_cursor_(next_cursor - 1),
      committed_tree_(std::move(audit_tree)),
      completer_([this] { RunCompletions(); }),
      thread_([this] { Run(); }) {}

CommitPipeline::~CommitPipeline() { Stop(); }

CommitPipeline::TreeHead CommitPipeline::audit_tree_head() const {
  absl::MutexLock lock(&head_mu_);
  return {committed_tree_.size(), committed_tree_.Root()};
}

void CommitPipeline::Enqueue(std::unique_ptr<Mutation> mutation) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(mutation));
      return;
    }
  }
  mutation->Complete(absl::UnavailableError("the hub is shutting down"));
}

void CommitPipeline::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (completer_.joinable()) completer_.join();
}

void CommitPipeline::Run() {
  NameThisThread("keten-commit");
  for (;;) {
    std::vector<std::unique_ptr<Mutation>> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->queue_.empty();
          },
          this));
      if (queue_.empty()) break;  // stopping, and everything is committed
      while (!queue_.empty() && group.size() < max_group_size_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    absl::Status written = CommitGroup(group);
    absl::MutexLock lock(&completion_mu_);
    committed_.push_back({std::move(group), std::move(written)});
  }
  absl::MutexLock lock(&completion_mu_);
  committer_done_ = true;
}

void CommitPipeline::RunCompletions() {
  NameThisThread("keten-complete");
  for (;;) {
    Committed next;
    {
      absl::MutexLock lock(&completion_mu_);
      completion_mu_.Await(absl::Condition(
          +[](CommitPipeline* p)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->completion_mu_) {
                 return p->committer_done_ || !p->committed_.empty();
               },
          this));
      if (committed_.empty()) return;  // the committer stopped; all done
      next = std::move(committed_.front());
      committed_.pop_front();
    }
    ScopedLogBatch lines;  // the group's log lines in one write
    for (const std::unique_ptr<Mutation>& mutation : next.group)
      mutation->Complete(next.written);
  }
}

absl::Status CommitPipeline::CommitGroup(Group& group) {
  last_time_ = std::max(last_time_, absl::Now());
  CommitContext context(database_, last_time_, next_sequence_, next_cursor_,
                        audit_tree_);
  for (const std::unique_ptr<Mutation>& mutation : group)
    mutation->Apply(context);
  absl::Status written;
  if (context.batch().Count() > 0) {
    const absl::Time start = absl::Now();
    written = FromRocksDbStatus(
        database_->db()->Write(Database::SyncWrite(), &context.batch()),
        "commit");
    last_write_failed_.store(!written.ok(), std::memory_order_release);
    HubMetrics().Observe("ketenhub_commit_write_seconds",
                         absl::ToDoubleSeconds(absl::Now() - start));
    HubMetrics().Observe("ketenhub_commit_group_size",
                         static_cast<double>(group.size()));
  }
  if (written.ok()) {
    next_sequence_ = context.next_sequence();
    if (context.audit_tree().size() != audit_tree_.size()) {
      audit_tree_ = context.audit_tree();
      absl::MutexLock lock(&head_mu_);
      committed_tree_ = audit_tree_;
    }
    if (context.next_cursor() != next_cursor_) {
      next_cursor_ = context.next_cursor();
      last_cursor_.store(next_cursor_ - 1, std::memory_order_release);
      if (listener_) listener_(next_cursor_ - 1);
    }
  } else {
    LogEvent(LogLevel::kError, "commit_failed",
             {{"mutations", static_cast<int64_t>(group.size())},
              {"status", written.ToString()}});
  }
  return written;
}

}  // namespace ketenhub
