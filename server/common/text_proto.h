#ifndef KETENHUB_SERVER_COMMON_TEXT_PROTO_H_
#define KETENHUB_SERVER_COMMON_TEXT_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace ketenhub {

// Reads a whole file. FAILED_PRECONDITION naming the path when it cannot.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Parses text-format protobuf into `out`. On failure returns INVALID_ARGUMENT
// "SOURCE: line L:C: problem" for every problem found. Thread-safe.
absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* out);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_TEXT_PROTO_H_
