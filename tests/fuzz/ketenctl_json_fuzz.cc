// Fuzzes the JSON that ketenctl reads from files: a signal to submit (then
// checked as the hub would) and a kept audit checkpoint (then verified
// against a public key). Neither may crash; no input may pass as a checkpoint
// signed by a key whose private half nobody holds.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/audit/checkpoint.h"
#include "server/policy/signal_validation.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/ketenctl/json_input.h"

namespace {

// An Ed25519 public key whose private key was thrown away.
constexpr absl::string_view kOrphanPublicKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAh8Z6YUTUFvNXj5opGg8CMsBA5oMLqJRgaBr6bzUHrCQ=\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ketenhub::fuzz::QuietProtobufLogs();
  using ketenhub::fuzz::Violated;
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  auto signal = ketenhub::SignalFromJson(json, "fuzz.json");
  if (signal.ok()) {
    (void)ketenhub::ValidateSignal(*signal, ketenhub::SignalLimits(),
                                   absl::FromUnixSeconds(1795000000));
  } else if (signal.status().code() != absl::StatusCode::kInvalidArgument) {
    Violated("a signal refusal other than INVALID_ARGUMENT");
  }
  auto checkpoint = ketenhub::CheckpointFromJson(json, "fuzz.json");
  if (checkpoint.ok() &&
      ketenhub::VerifyCheckpoint(*checkpoint, kOrphanPublicKey).ok())
    Violated("a checkpoint verifies without its signing key");
  return 0;
}
