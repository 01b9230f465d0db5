#ifndef KETENHUB_SERVER_STORAGE_ROCKSDB_STATUS_H_
#define KETENHUB_SERVER_STORAGE_ROCKSDB_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace ketenhub {

// The one translation of RocksDB outcomes into absl::Status. `operation` says
// what the hub was doing ("commit signals"); messages hold no paths or keys.
//   ok -> OK; NotFound -> NOT_FOUND; IOError, Busy, TimedOut, TryAgain,
//   Incomplete, ShutdownInProgress, NoSpace -> UNAVAILABLE; Corruption ->
//   DATA_LOSS; anything else -> INTERNAL.
absl::Status FromRocksDbStatus(const rocksdb::Status& status,
                               absl::string_view operation);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_ROCKSDB_STATUS_H_
