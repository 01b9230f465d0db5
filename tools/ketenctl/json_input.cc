#include "tools/ketenctl/json_input.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace ketenhub {

namespace {

// The parser's words for a bad enum value, e.g. `(urgency): invalid value
// "URGENT" for type type.googleapis.com/ketenhub.v1.Urgency`, with the
// values that are valid, in the spelling a partner writes.
std::string ExplainEnum(const std::string& message) {
  const std::string kType = "for type type.googleapis.com/";
  const size_t at = message.find(kType);
  if (at == std::string::npos) return message;
  const std::string type = message.substr(at + kType.size());
  const google::protobuf::EnumDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindEnumTypeByName(
          type);
  if (descriptor == nullptr) return message;
  std::vector<std::string> valid;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const std::string& name = descriptor->value(i)->name();
    if (!absl::EndsWith(name, "_UNSPECIFIED")) valid.push_back(name);
  }
  return absl::StrCat(absl::StripSuffix(message.substr(0, at), " "),
                      "; valid values: ", absl::StrJoin(valid, ", "));
}

}  // namespace

absl::StatusOr<v1::Signal> SignalFromJson(absl::string_view json,
                                          absl::string_view source) {
  v1::Signal signal;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &signal);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not a signal: ", ExplainEnum(parsed.message().as_string())));
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
