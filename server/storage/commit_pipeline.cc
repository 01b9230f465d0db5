#include "server/storage/commit_pipeline.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {
namespace {

using v1::storage::IdempotencyRecord;
using v1::storage::StoredSignal;

// A random (version 4) UUID: signal ids reveal neither order nor volume.
std::string NewSignalId() {
  unsigned char b[16];
  RAND_bytes(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

}  // namespace

struct CommitPipeline::Outcome {
  absl::StatusOr<v1::Receipt> result;
  bool needs_batch;  // the result holds only once this group's batch is written
};

CommitPipeline::CommitPipeline(Database* database, size_t max_group_size,
                               uint64_t next_sequence)
    : database_(database),
      max_group_size_(max_group_size),
      next_sequence_(next_sequence),
      thread_([this] { Run(); }) {}

CommitPipeline::~CommitPipeline() { Stop(); }

void CommitPipeline::Enqueue(SubmitCommand command, ReceiptCallback done) {
  Pending pending{std::move(command), std::move(done), "", ""};
  pending.idempotency_key = storage_keys::IdempotencyKey(
      pending.command.partner_id, pending.command.signal.client_ref());
  pending.content_hash = SignalContentHash(pending.command.signal);
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(pending));
      return;
    }
  }
  std::move(pending.done)(absl::UnavailableError("the hub is shutting down"));
}

void CommitPipeline::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CommitPipeline::Run() {
  for (;;) {
    std::vector<Pending> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything is committed
      while (!queue_.empty() && group.size() < max_group_size_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
  }
}

void CommitPipeline::CommitGroup(std::vector<Pending>& group) {
  rocksdb::WriteBatch batch;
  in_group_.clear();
  const uint64_t first_sequence = next_sequence_;
  const absl::Time received_at = absl::Now();
  std::vector<Outcome> outcomes;
  outcomes.reserve(group.size());
  for (const Pending& pending : group) {
    outcomes.push_back(Resolve(pending, batch, received_at));
  }
  absl::Status written;
  if (batch.Count() > 0) {
    written =
        FromRocksDbStatus(database_->db()->Write(Database::SyncWrite(), &batch),
                          "commit signals");
  }
  if (!written.ok()) {
    next_sequence_ = first_sequence;
    LogEvent(LogLevel::kError, "commit_failed",
             {{"signals", static_cast<int64_t>(group.size())},
              {"status", written.ToString()}});
  }
  for (size_t i = 0; i < group.size(); ++i) {
    Outcome& outcome = outcomes[i];
    std::move(group[i].done)(outcome.needs_batch && !written.ok()
                                 ? absl::StatusOr<v1::Receipt>(written)
                                 : std::move(outcome.result));
  }
}

CommitPipeline::Outcome CommitPipeline::Resolve(const Pending& pending,
                                                rocksdb::WriteBatch& batch,
                                                absl::Time received_at) {
  const std::string& ref = pending.command.signal.client_ref();
  auto replay =
      [&](const IdempotencyRecord& record) -> absl::StatusOr<v1::Receipt> {
    if (record.content_hash() != pending.content_hash) {
      return absl::AlreadyExistsError(
          "client_ref: already used for a signal with other content");
    }
    v1::Receipt receipt;
    receipt.set_signal_id(record.signal_id());
    receipt.set_sequence(record.sequence());
    *receipt.mutable_received_at() = record.received_at();
    receipt.set_client_ref(ref);
    return receipt;
  };
  if (auto it = in_group_.find(pending.idempotency_key);
      it != in_group_.end()) {
    return {replay(it->second), true};
  }
  std::string value;
  rocksdb::Status s =
      database_->db()->Get(rocksdb::ReadOptions(), database_->idempotency(),
                           pending.idempotency_key, &value);
  if (s.ok()) {
    IdempotencyRecord record;
    if (!record.ParseFromString(value)) {
      return {absl::DataLossError("idempotency record unreadable"), false};
    }
    return {replay(record), false};
  }
  if (!s.IsNotFound())
    return {FromRocksDbStatus(s, "read idempotency record"), false};

  const uint64_t sequence = next_sequence_++;
  IdempotencyRecord record;
  record.set_content_hash(pending.content_hash);
  record.set_signal_id(NewSignalId());
  record.set_sequence(sequence);
  SetTimestamp(received_at, record.mutable_received_at());

  StoredSignal stored;
  stored.set_signal_id(record.signal_id());
  stored.set_sequence(sequence);
  *stored.mutable_received_at() = record.received_at();
  stored.set_source_partner(pending.command.partner_id);
  stored.set_subject_key(pending.command.subject_key);
  stored.set_policy_version(pending.command.policy_version);
  stored.set_content_hash(pending.content_hash);
  *stored.mutable_signal() = pending.command.signal;

  const std::string sequence_key = storage_keys::EncodeSequence(sequence);
  batch.Put(database_->signals(), sequence_key, stored.SerializeAsString());
  batch.Put(database_->signal_ids(), record.signal_id(), sequence_key);
  batch.Put(database_->idempotency(), pending.idempotency_key,
            record.SerializeAsString());
  batch.Put(
      database_->subject_index(),
      storage_keys::SubjectIndexKey(pending.command.subject_key, sequence), "");
  in_group_[pending.idempotency_key] = record;
  return {replay(record), true};
}

}  // namespace ketenhub
