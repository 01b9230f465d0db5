#ifndef KETENHUB_SERVER_STORAGE_TIME_CONVERSION_H_
#define KETENHUB_SERVER_STORAGE_TIME_CONVERSION_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace ketenhub {

inline void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_TIME_CONVERSION_H_
