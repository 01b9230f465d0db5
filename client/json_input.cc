#include "client/json_input.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace ketenhub {

absl::StatusOr<v1::Signal> SignalFromJson(absl::string_view json,
                                          absl::string_view source) {
  v1::Signal signal;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &signal);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a signal: ", parsed.message().as_string()));
  }
  return signal;
}

absl::StatusOr<v1::SignedCheckpoint> CheckpointFromJson(
    absl::string_view json, absl::string_view source) {
  v1::SignedCheckpoint checkpoint;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &checkpoint);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a checkpoint saved by ketenctl"));
  }
  return checkpoint;
}

}  // namespace ketenhub
