// Fuzzes the check every submitted signal passes: arbitrary protobuf wire
// bytes, as a partner could send them, must be refused or accepted without a
// crash, and an accepted signal must respect the limits and stay accepted
// after a round trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "ketenhub/v1/signal.pb.h"
#include "server/policy/signal_validation.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ketenhub::fuzz::QuietProtobufLogs();
  using ketenhub::fuzz::Violated;
  ketenhub::v1::Signal signal;
  if (!signal.ParseFromArray(data, static_cast<int>(size))) return 0;
  const ketenhub::SignalLimits limits;
  const absl::Time now = absl::FromUnixSeconds(1795000000);  // 2026-11
  const absl::Status status = ketenhub::ValidateSignal(signal, limits, now);
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument)
      Violated("a refusal other than INVALID_ARGUMENT");
    if (status.message().empty()) Violated("a refusal without a message");
    return 0;
  }
  if (signal.sections_size() > static_cast<int>(limits.max_sections))
    Violated("accepted more sections than the limit");
  if (signal.client_ref().size() > limits.max_client_ref_bytes)
    Violated("accepted an over-long client_ref");
  for (const auto& section : signal.sections()) {
    if (section.text().size() > limits.max_section_bytes)
      Violated("accepted an over-long section");
  }
  ketenhub::v1::Signal again;
  if (!again.ParseFromString(signal.SerializeAsString()) ||
      !ketenhub::ValidateSignal(again, limits, now).ok())
    Violated("an accepted signal is refused after a round trip");
  return 0;
}
