#include "client/signal_outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace ketenhub {
namespace {

// The outbox folder holds queue/ (what is still to be sent) and
// dead-letters/ (what the hub refused for good), one file per signal named
// by its sequence number, so that a directory listing is the queue's order.
constexpr char kQueue[] = "queue";
constexpr char kDeadLetters[] = "dead-letters";
constexpr char kCheckpointFile[] = "checkpoint";  // the newest proven
constexpr char kSuffix[] = ".signal";
constexpr size_t kBatch = 64;

std::string FileName(uint64_t sequence) {
  return absl::StrFormat("%020d%s", sequence, kSuffix);
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status) || absl::IsAborted(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status);
}

// fsyncs the folder `dir`, so that a rename or unlink in it is durable.
bool SyncFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Writes `bytes` to `dir`/`name` durably: a temporary file, fsynced, renamed
// into place, the folder fsynced.
absl::Status WriteDurably(const std::string& dir, const std::string& name,
                          const std::string& bytes) {
  const std::string temporary = absl::StrCat(dir, "/.", name, ".tmp");
  const std::string path = absl::StrCat(dir, "/", name);
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  for (size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  ok = ok && std::rename(temporary.c_str(), path.c_str()) == 0 &&
       SyncFolder(dir);
  if (!ok) {
    ::unlink(temporary.c_str());
    return absl::UnavailableError(absl::StrCat(
        "outbox: cannot write to disk: ", std::strerror(error ? error : EIO)));
  }
  return absl::OkStatus();
}

// The sequence numbers of the signal files in `dir`, in order; removes
// temporary files a crash left behind.
absl::StatusOr<std::deque<uint64_t>> ListSequences(const std::string& dir) {
  std::error_code error;
  std::deque<uint64_t> sequences;
  std::filesystem::directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    absl::string_view stem = name;
    uint64_t sequence = 0;
    if (absl::ConsumeSuffix(&stem, kSuffix) &&
        absl::SimpleAtoi(stem, &sequence)) {
      sequences.push_back(sequence);
    } else if (name.front() == '.') {
      ::unlink(it->path().c_str());
    }
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("outbox: cannot read ", dir, ": ", error.message()));
  }
  std::sort(sequences.begin(), sequences.end());
  return sequences;
}

class FileOutbox final : public SignalOutbox {
 public:
  FileOutbox(Options options, OutcomeHandler on_outcome,
             std::unique_ptr<SignalClient> client, std::deque<uint64_t> queued,
             uint64_t next_sequence)
      : options_(std::move(options)),
        on_outcome_(std::move(on_outcome)),
        client_(std::move(client)),
        queue_dir_(absl::StrCat(options_.path, "/", kQueue)),
        dead_dir_(absl::StrCat(options_.path, "/", kDeadLetters)),
        queued_(std::move(queued)),
        next_sequence_(next_sequence),
        sender_([this] { Send(); }) {}

  ~FileOutbox() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    sender_.join();
  }

  absl::StatusOr<std::string> Enqueue(v1::Signal signal) override {
    if (signal.client_ref().empty()) signal.set_client_ref(NewClientRef());
    absl::MutexLock lock(&mu_);  // keeps the queue in sequence order
    const uint64_t sequence = next_sequence_;
    if (absl::Status written = WriteDurably(queue_dir_, FileName(sequence),
                                            signal.SerializeAsString());
        !written.ok()) {
      return written;
    }
    ++next_sequence_;
    queued_.push_back(sequence);
    return signal.client_ref();
  }

  absl::Status Flush(absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    const bool empty = mu_.AwaitWithDeadline(
        absl::Condition(
            +[](std::deque<uint64_t>* queued) { return queued->empty(); },
            &queued_),
        deadline);
    if (empty) return absl::OkStatus();
    return absl::DeadlineExceededError(
        absl::StrCat("outbox: ", queued_.size(), " signal(s) still queued"));
  }

  uint64_t pending() const override {
    absl::MutexLock lock(&mu_);
    return queued_.size();
  }

 private:
  // The oldest queued sequence numbers, up to kBatch.
  std::vector<uint64_t> Oldest() {
    absl::MutexLock lock(&mu_);
    const size_t n = std::min(kBatch, queued_.size());
    return std::vector<uint64_t>(queued_.begin(), queued_.begin() + n);
  }

  absl::StatusOr<v1::Signal> Read(uint64_t sequence) const {
    std::ifstream in(absl::StrCat(queue_dir_, "/", FileName(sequence)),
                     std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    v1::Signal signal;
    if (!in || !signal.ParseFromString(bytes.str())) {
      return absl::DataLossError(absl::StrCat(
          "outbox: queued signal ", FileName(sequence), " is unreadable"));
    }
    return signal;
  }

  // Waits `delay` unless stopping; false when stopping.
  bool Wait(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
    return !stopping_;
  }

  // Takes `sequence` off the queue: gone once the hub has it, kept among the
  // dead letters when refused. A crash before this only sends it again,
  // which the hub's idempotency on client_ref makes harmless.
  void Done(uint64_t sequence, const std::string& client_ref,
            const absl::StatusOr<v1::Receipt>& outcome) {
    const std::string name = FileName(sequence);
    const std::string queued = absl::StrCat(queue_dir_, "/", name);
    if (outcome.ok()) {
      ::unlink(queued.c_str());
    } else if (std::rename(queued.c_str(),
                           absl::StrCat(dead_dir_, "/", name).c_str()) == 0) {
      SyncFolder(dead_dir_);
    }
    SyncFolder(queue_dir_);
    // The handler runs before the queue shrinks, so that Flush returning
    // means every outcome was handed over.
    if (on_outcome_) on_outcome_(client_ref, outcome);
    absl::MutexLock lock(&mu_);
    queued_.pop_front();
  }

  void Send() {
    absl::Duration backoff = options_.client.initial_backoff;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](FileOutbox* o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(o->mu_) {
              return o->stopping_ || !o->queued_.empty();
            },
            this));
        if (stopping_) return;
      }
      for (const uint64_t sequence : Oldest()) {
        absl::StatusOr<v1::Signal> signal = Read(sequence);
        if (!signal.ok()) {
          Done(sequence, "", signal.status());
          continue;
        }
        absl::StatusOr<v1::Receipt> receipt = client_->Submit(*signal);
        if (!receipt.ok() && IsRetryable(receipt.status())) {
          if (!Wait(backoff)) return;
          backoff = std::min(backoff * 2, options_.max_backoff);
          break;  // start again from the oldest
        }
        backoff = options_.client.initial_backoff;
        // Before the outcome, so that a Flush sees the proof's verdict.
        if (receipt.ok()) KeepCheckpoint();
        Done(sequence, signal->client_ref(), receipt);
      }
    }
  }

  absl::Status CheckpointContinuity() const override {
    return client_->CheckpointContinuity();
  }

  // Proves and keeps a newer checkpoint (sender thread only).
  void KeepCheckpoint() {
    std::optional<v1::SignedCheckpoint> newest = client_->NewestCheckpoint();
    if (!newest.has_value() || newest->tree_size() <= kept_size_) return;
    // A hub that cannot answer now is asked after the next round.
    if (absl::Status proven = client_->VerifyContinuity();
        !proven.ok() && !absl::IsDataLoss(proven)) {
      return;
    }
    if (!client_->CheckpointContinuity().ok()) return;
    if (WriteDurably(options_.path, kCheckpointFile,
                     newest->SerializeAsString())
            .ok()) {
      kept_size_ = newest->tree_size();
    }
  }

  const Options options_;
  const OutcomeHandler on_outcome_;
  const std::unique_ptr<SignalClient> client_;
  const std::string queue_dir_;
  const std::string dead_dir_;
  mutable absl::Mutex mu_;
  std::deque<uint64_t> queued_ ABSL_GUARDED_BY(mu_);  // only Done pops
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t kept_size_ = 0;  // of the kept checkpoint; sender thread only
  std::thread sender_;      // last
};

// Creates `dir` (and its parents) and makes it 0700.
absl::Status PrivateFolder(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || ::chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("outbox: cannot create ", dir));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SignalOutbox>> SignalOutbox::Open(
    Options options, OutcomeHandler on_outcome) {
  const std::string queue_dir = absl::StrCat(options.path, "/", kQueue);
  const std::string dead_dir = absl::StrCat(options.path, "/", kDeadLetters);
  for (const std::string& dir : {options.path, queue_dir, dead_dir}) {
    if (absl::Status made = PrivateFolder(dir); !made.ok()) return made;
  }
  std::error_code error;
  if (std::filesystem::exists(options.path + "/CURRENT", error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "outbox: ", options.path,
        " holds an outbox of an earlier version (a RocksDB folder); let "
        "that version send what it holds, then give this one a new folder"));
  }
  absl::StatusOr<std::deque<uint64_t>> queued = ListSequences(queue_dir);
  if (!queued.ok()) return queued.status();
  absl::StatusOr<std::deque<uint64_t>> dead = ListSequences(dead_dir);
  if (!dead.ok()) return dead.status();
  uint64_t next = 1;
  if (!queued->empty()) next = std::max(next, queued->back() + 1);
  if (!dead->empty()) next = std::max(next, dead->back() + 1);
  ClientOptions client_options = options.client;
  client_options.max_attempts = 1;  // the outbox retries, for ever
  absl::StatusOr<std::unique_ptr<SignalClient>> client =
      SignalClient::Connect(client_options);
  if (!client.ok()) return client.status();
  const std::string kept = absl::StrCat(options.path, "/", kCheckpointFile);
  if (std::filesystem::exists(kept, error)) {
    std::ifstream in(kept, std::ios::binary);
    v1::SignedCheckpoint checkpoint;
    if (!in || !checkpoint.ParseFromIstream(&in)) {
      return absl::FailedPreconditionError(
          absl::StrCat("outbox: ", kept,
                       " is not a checkpoint; move it aside for the "
                       "inquiry, or delete it to trust the hub afresh"));
    }
    (*client)->Remember(checkpoint);
  }
  return std::unique_ptr<SignalOutbox>(
      new FileOutbox(std::move(options), std::move(on_outcome),
                     *std::move(client), *std::move(queued), next));
}

}  // namespace ketenhub
