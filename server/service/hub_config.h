#ifndef KETENHUB_SERVER_SERVICE_HUB_CONFIG_H_
#define KETENHUB_SERVER_SERVICE_HUB_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/config.pb.h"

namespace ketenhub {

// Transport defaults, also used by Hub::Start for a config built in code.
inline constexpr uint32_t kKeepaliveTimeSeconds = 30;
inline constexpr uint32_t kKeepaliveTimeoutSeconds = 10;
inline constexpr uint32_t kHandshakeTimeoutSeconds = 10;

// Reads and checks the hub's text-format configuration at `path`: relative
// paths become relative to the file's folder, unset limits take their
// defaults, and every required field is present. Fails with
// FAILED_PRECONDITION (unreadable) or INVALID_ARGUMENT naming the line or
// field.
absl::StatusOr<v1::HubConfig> LoadHubConfig(const std::string& path);

// As LoadHubConfig, for text already read; `base_dir` anchors relative paths.
absl::StatusOr<v1::HubConfig> ParseHubConfig(absl::string_view text,
                                             absl::string_view source,
                                             const std::string& base_dir);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_HUB_CONFIG_H_
