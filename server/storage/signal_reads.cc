// Database's reads of signals: one or many, decrypted with their data keys.

#include <vector>

#include "absl/strings/str_cat.h"
#include "server/common/json_log.h"
#include "server/storage/database.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {

absl::StatusOr<v1::storage::StoredSignal> Database::ReadSignal(
    absl::string_view signal_id, bool decrypt) const {
  const absl::Status not_found =
      absl::NotFoundError("signal_id: no such signal");
  std::string sequence_key;
  rocksdb::Status s = db_->Get(
      rocksdb::ReadOptions(), signal_ids(),
      rocksdb::Slice(signal_id.data(), signal_id.size()), &sequence_key);
  if (s.IsNotFound()) return not_found;
  if (!s.ok()) return FromRocksDbStatus(s, "read signal");
  std::string value;
  s = db_->Get(rocksdb::ReadOptions(), signals(), sequence_key, &value);
  if (s.IsNotFound()) return not_found;
  if (!s.ok()) return FromRocksDbStatus(s, "read signal");
  v1::storage::StoredSignal stored;
  if (!stored.ParseFromString(value))
    return absl::DataLossError("signal record unreadable");
  if (!decrypt) return stored;
  if (absl::Status decrypted = Decrypt(stored); !decrypted.ok())
    return decrypted;
  return stored;
}

std::vector<absl::StatusOr<v1::storage::StoredSignal>> Database::ReadSignals(
    absl::Span<const std::string> ids) const {
  const size_t n = ids.size();
  std::vector<absl::StatusOr<v1::storage::StoredSignal>> out(
      n, absl::NotFoundError("signal_id: no such signal"));
  if (n == 0) return out;
  auto multi_get = [&](rocksdb::ColumnFamilyHandle* family,
                       const std::vector<rocksdb::Slice>& keys,
                       std::vector<rocksdb::PinnableSlice>& values,
                       std::vector<rocksdb::Status>& statuses) {
    values.resize(keys.size());
    statuses.resize(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), keys.data(),
                  values.data(), statuses.data());
  };
  std::vector<rocksdb::Slice> id_keys;
  id_keys.reserve(n);
  for (const std::string& id : ids) id_keys.emplace_back(id);
  std::vector<rocksdb::PinnableSlice> sequences;
  std::vector<rocksdb::Status> statuses;
  multi_get(signal_ids(), id_keys, sequences, statuses);
  std::vector<size_t> found;  // positions with a sequence
  std::vector<rocksdb::Slice> sequence_keys;
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) {
      out[i] = FromRocksDbStatus(statuses[i], "read signal");
      continue;
    }
    found.push_back(i);
    sequence_keys.emplace_back(sequences[i]);
  }
  std::vector<rocksdb::PinnableSlice> records;
  multi_get(signals(), sequence_keys, records, statuses);
  std::vector<size_t> sealed;  // positions that need their data key
  std::vector<rocksdb::Slice> key_ids;
  for (size_t k = 0; k < found.size(); ++k) {
    const size_t i = found[k];
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) {
      out[i] = FromRocksDbStatus(statuses[k], "read signal");
      continue;
    }
    v1::storage::StoredSignal stored;
    if (!stored.ParseFromArray(records[k].data(),
                               static_cast<int>(records[k].size()))) {
      out[i] = absl::DataLossError("signal record unreadable");
      continue;
    }
    out[i] = std::move(stored);
    if (out[i]->has_payload()) {
      sealed.push_back(i);
      key_ids.emplace_back(ids[i]);
    }
  }
  if (!sealed.empty() && key_ring_ == nullptr) {
    for (size_t i : sealed)
      out[i] = absl::FailedPreconditionError("no key ring: opened read-only");
    return out;
  }
  std::vector<rocksdb::PinnableSlice> keys;
  multi_get(data_keys(), key_ids, keys, statuses);
  for (size_t k = 0; k < sealed.size(); ++k) {
    absl::StatusOr<v1::storage::StoredSignal>& signal = out[sealed[k]];
    absl::Status opened =
        OpenWithDataKey(*signal, statuses[k],
                        absl::string_view(keys[k].data(), keys[k].size()));
    if (!opened.ok()) signal = opened;
  }
  return out;
}

absl::Status Database::Decrypt(v1::storage::StoredSignal& stored) const {
  if (!stored.has_payload()) return absl::OkStatus();  // a tombstone
  if (key_ring_ == nullptr)
    return absl::FailedPreconditionError("no key ring: opened read-only");
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), data_keys(), stored.signal_id(), &value);
  return OpenWithDataKey(stored, s, value);
}

absl::Status Database::OpenWithDataKey(v1::storage::StoredSignal& stored,
                                       const rocksdb::Status& s,
                                       absl::string_view value) const {
  absl::Status status;
  v1::storage::WrappedDataKey key;
  if (s.IsNotFound() ||
      (s.ok() &&
       !key.ParseFromArray(value.data(), static_cast<int>(value.size())))) {
    status = absl::DataLossError(absl::StrCat("signal ", stored.signal_id(),
                                              ": its data key is missing"));
  } else if (!s.ok()) {
    return FromRocksDbStatus(s, "read data key");
  } else {
    status = OpenPayload(*key_ring_, key, stored);
  }
  if (absl::IsDataLoss(status)) {
    LogEvent(LogLevel::kError, "signal_integrity_failed",
             {{"signal_id", stored.signal_id()}});
  }
  return status;
}

v1::storage::StoredSignal Database::StoredForm(
    const v1::storage::StoredSignal& signal) {
  v1::storage::StoredSignal stored = signal;
  v1::Signal* metadata = stored.mutable_signal();
  metadata->Clear();
  metadata->set_client_ref(signal.signal().client_ref());
  metadata->set_category(signal.signal().category());
  metadata->set_urgency(signal.signal().urgency());
  metadata->set_municipality(signal.signal().municipality());
  return stored;
}

}  // namespace ketenhub
