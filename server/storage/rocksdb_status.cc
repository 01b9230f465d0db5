#include "server/storage/rocksdb_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ketenhub {

absl::Status FromRocksDbStatus(const rocksdb::Status& status,
                               absl::string_view operation) {
  using Code = rocksdb::Status::Code;
  switch (status.code()) {
    case Code::kOk:
      return absl::OkStatus();
    case Code::kNotFound:
      return absl::NotFoundError(absl::StrCat(operation, ": not found"));
    case Code::kIOError:
    case Code::kBusy:
    case Code::kTimedOut:
    case Code::kTryAgain:
    case Code::kIncomplete:
    case Code::kShutdownInProgress:
      return absl::UnavailableError(
          absl::StrCat(operation, ": storage temporarily unavailable"));
    case Code::kCorruption:
      return absl::DataLossError(
          absl::StrCat(operation, ": storage corrupted"));
    default:
      return absl::InternalError(absl::StrCat(operation, ": storage error"));
  }
}

}  // namespace ketenhub
