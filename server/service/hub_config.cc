#include "server/service/hub_config.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/common/status_macros.h"
#include "server/common/text_proto.h"

namespace ketenhub {
namespace {

constexpr uint32_t kMaxMessageBytes = 256 * 1024;
constexpr uint32_t kMaxSummaryBytes = 4000;
constexpr uint32_t kMaxSections = 20;
constexpr uint32_t kMaxSectionBytes = 16000;
constexpr uint32_t kMaxGroupSize = 256;
constexpr uint32_t kCheckpointIntervalSeconds = 60;
constexpr uint32_t kSweepIntervalSeconds = 3600;

absl::Status Resolve(absl::string_view field, const std::string& base_dir,
                     std::string* path) {
  if (path->empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (absl::StrContains(*path, '\0'))
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": a path cannot contain a NUL byte"));
  std::filesystem::path p(*path);
  if (p.is_relative())
    *path = (std::filesystem::path(base_dir) / p).lexically_normal();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::HubConfig> ParseHubConfig(absl::string_view text,
                                             absl::string_view source,
                                             const std::string& base_dir) {
  v1::HubConfig config;
  KETENHUB_RETURN_IF_ERROR(
      ParseTextProto(text, absl::StrCat("config ", source), &config));
  if (config.listen_address().empty()) {
    return absl::InvalidArgumentError("listen_address: required");
  }
  KETENHUB_RETURN_IF_ERROR(Resolve("tls.cert_file", base_dir,
                                   config.mutable_tls()->mutable_cert_file()));
  KETENHUB_RETURN_IF_ERROR(Resolve("tls.key_file", base_dir,
                                   config.mutable_tls()->mutable_key_file()));
  KETENHUB_RETURN_IF_ERROR(Resolve("tls.ca_file", base_dir,
                                   config.mutable_tls()->mutable_ca_file()));
  for (int i = 0; i < config.tls().crl_files_size(); ++i) {
    KETENHUB_RETURN_IF_ERROR(
        Resolve(absl::StrCat("tls.crl_files[", i, "]"), base_dir,
                config.mutable_tls()->mutable_crl_files(i)));
  }
  KETENHUB_RETURN_IF_ERROR(
      Resolve("policy_file", base_dir, config.mutable_policy_file()));
  KETENHUB_RETURN_IF_ERROR(
      Resolve("data_dir", base_dir, config.mutable_data_dir()));
  if (config.backup_dir().empty()) {
    config.set_backup_dir(config.data_dir() + "-backups");
  } else {
    KETENHUB_RETURN_IF_ERROR(
        Resolve("backup_dir", base_dir, config.mutable_backup_dir()));
  }
  if (!config.keys().pin_file().empty()) {
    if (config.keys().pkcs11_uri().empty()) {
      return absl::InvalidArgumentError(
          "keys.pin_file: only with keys.pkcs11_uri");
    }
    KETENHUB_RETURN_IF_ERROR(Resolve(
        "keys.pin_file", base_dir, config.mutable_keys()->mutable_pin_file()));
  }
  if (!config.keys().pkcs11_uri().empty() &&
      !absl::StartsWith(config.keys().pkcs11_uri(), "pkcs11:")) {
    return absl::InvalidArgumentError(
        "keys.pkcs11_uri: a pkcs11: URI (RFC 7512)");
  }
  v1::LimitsConfig* limits = config.mutable_limits();
  if (limits->max_message_bytes() == 0)
    limits->set_max_message_bytes(kMaxMessageBytes);
  if (limits->max_summary_bytes() == 0)
    limits->set_max_summary_bytes(kMaxSummaryBytes);
  if (limits->max_sections() == 0) limits->set_max_sections(kMaxSections);
  if (limits->max_section_bytes() == 0)
    limits->set_max_section_bytes(kMaxSectionBytes);
  v1::CommitConfig* commit = config.mutable_commit();
  if (commit->max_group_size() == 0) commit->set_max_group_size(kMaxGroupSize);
  v1::AuditConfig* audit = config.mutable_audit();
  if (audit->checkpoint_interval_seconds() == 0)
    audit->set_checkpoint_interval_seconds(kCheckpointIntervalSeconds);
  v1::RetentionConfig* retention = config.mutable_retention();
  if (retention->sweep_interval_seconds() == 0)
    retention->set_sweep_interval_seconds(kSweepIntervalSeconds);
  if (!config.metrics_address().empty() &&
      !absl::StartsWith(config.metrics_address(), "127.0.0.1:") &&
      !absl::StartsWith(config.metrics_address(), "localhost:") &&
      !absl::StartsWith(config.metrics_address(), "[::1]:")) {
    return absl::InvalidArgumentError(
        "metrics_address: must be a loopback address (127.0.0.1:PORT, "
        "[::1]:PORT or localhost:PORT)");
  }
  v1::TransportConfig* transport = config.mutable_transport();
  if (transport->keepalive_time_seconds() == 0)
    transport->set_keepalive_time_seconds(kKeepaliveTimeSeconds);
  if (transport->keepalive_timeout_seconds() == 0)
    transport->set_keepalive_timeout_seconds(kKeepaliveTimeoutSeconds);
  if (transport->handshake_timeout_seconds() == 0)
    transport->set_handshake_timeout_seconds(kHandshakeTimeoutSeconds);
  return config;
}

absl::StatusOr<v1::HubConfig> LoadHubConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("config: cannot resolve ", path, ": ", error.message()));
  }
  const std::string base_dir = absolute.parent_path().string();
  return ParseHubConfig(*text, path, base_dir);
}

}  // namespace ketenhub
