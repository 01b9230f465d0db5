#include "server/storage/signal_store.h"

#include <openssl/sha.h>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/storage/commit_pipeline.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {
namespace {

using v1::storage::StoredSignal;

absl::StatusOr<uint64_t> NextSequence(const Database& database) {
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(rocksdb::ReadOptions(), database.signals()));
  it->SeekToLast();
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "find last signal");
  if (!it->Valid()) return 1;
  std::optional<uint64_t> last = storage_keys::DecodeSequence(
      absl::string_view(it->key().data(), it->key().size()));
  if (!last) return absl::DataLossError("find last signal: malformed key");
  return *last + 1;
}

class RocksSignalStore final : public SignalStore {
 public:
  RocksSignalStore(std::unique_ptr<Database> database, size_t max_group_size,
                   uint64_t next_sequence)
      : database_(std::move(database)),
        pipeline_(database_.get(), max_group_size, next_sequence) {}

  ~RocksSignalStore() override { Close(); }

  void Submit(SubmitCommand command, ReceiptCallback done) override {
    pipeline_.Enqueue(std::move(command), std::move(done));
  }

  absl::StatusOr<StoredSignal> GetOwnSignal(
      absl::string_view partner_id,
      absl::string_view signal_id) const override {
    const absl::Status not_found =
        absl::NotFoundError("signal_id: no such signal");
    std::string sequence_key;
    rocksdb::Status s = database_->db()->Get(
        rocksdb::ReadOptions(), database_->signal_ids(),
        rocksdb::Slice(signal_id.data(), signal_id.size()), &sequence_key);
    if (s.IsNotFound()) return not_found;
    if (!s.ok()) return FromRocksDbStatus(s, "read signal");
    std::string value;
    s = database_->db()->Get(rocksdb::ReadOptions(), database_->signals(),
                             sequence_key, &value);
    if (s.IsNotFound()) return not_found;
    if (!s.ok()) return FromRocksDbStatus(s, "read signal");
    StoredSignal stored;
    if (!stored.ParseFromString(value))
      return absl::DataLossError("signal record unreadable");
    if (stored.source_partner() != partner_id) return not_found;
    return stored;
  }

  void Close() override { pipeline_.Stop(); }

 private:
  const std::unique_ptr<Database> database_;
  CommitPipeline pipeline_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SignalStore>> SignalStore::Open(
    const Options& options) {
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(options.path);
  if (!database.ok()) return database.status();
  absl::StatusOr<uint64_t> next = NextSequence(**database);
  if (!next.ok()) return next.status();
  return std::make_unique<RocksSignalStore>(
      *std::move(database), std::max<size_t>(1, options.max_group_size), *next);
}

std::string SignalContentHash(const v1::Signal& signal) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    signal.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace ketenhub
