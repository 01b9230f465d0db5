// The JSON that people hand to ketenctl: a signal to submit, and a checkpoint
// kept from an earlier audit verification. Both are parsed with protobuf's
// JSON mapping (field names as in the .proto or in lowerCamelCase).
#ifndef KETENHUB_TOOLS_KETENCTL_JSON_INPUT_H_
#define KETENHUB_TOOLS_KETENCTL_JSON_INPUT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

// Parses `json` as a v1.Signal. Fails with INVALID_ARGUMENT whose message
// starts with `source` (a file name) and says what is wrong. Does not check
// the signal's content; the hub does that on submit. Thread-safe.
absl::StatusOr<v1::Signal> SignalFromJson(absl::string_view json,
                                          absl::string_view source);

// Parses `json` as a v1.SignedCheckpoint as ketenctl saves it. Fails with
// INVALID_ARGUMENT naming `source`. Does not verify the signature.
absl::StatusOr<v1::SignedCheckpoint> CheckpointFromJson(
    absl::string_view json, absl::string_view source);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_JSON_INPUT_H_
