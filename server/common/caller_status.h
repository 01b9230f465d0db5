#ifndef KETENHUB_SERVER_COMMON_CALLER_STATUS_H_
#define KETENHUB_SERVER_COMMON_CALLER_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace ketenhub {

// DATA_LOSS and INTERNAL reach callers as "internal error": the hub's own
// trouble (a file, a RocksDB message) is not theirs to read. A status marked
// ForCaller is evidence the caller must see instead (an altered audit index,
// for the auditor who asked), and keeps its code and message.
inline constexpr char kForCallerPayload[] = "ketenhub.v1/for-caller";

inline absl::Status ForCaller(absl::Status status) {
  status.SetPayload(kForCallerPayload, absl::Cord("1"));
  return status;
}

inline bool IsForCaller(const absl::Status& status) {
  return status.GetPayload(kForCallerPayload).has_value();
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_CALLER_STATUS_H_
