// Fuzzes the hub's configuration reader: any text must be refused with a
// message, or give a configuration whose paths are absolute, free of NUL
// bytes, and whose limits are filled in.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/config.pb.h"
#include "server/service/hub_config.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using ketenhub::fuzz::Violated;

void CheckPath(const std::string& path) {
  if (path.empty() || path[0] != '/') Violated("a path is not absolute");
  if (absl::StrContains(path, '\0')) Violated("a path holds a NUL byte");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ketenhub::fuzz::QuietProtobufLogs();
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ketenhub::ParseHubConfig(text, "fuzz.textproto", "/etc/keten");
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument)
      Violated("a refusal other than INVALID_ARGUMENT");
    if (config.status().message().empty())
      Violated("a refusal without a message");
    return 0;
  }
  CheckPath(config->tls().cert_file());
  CheckPath(config->tls().key_file());
  CheckPath(config->tls().ca_file());
  for (const std::string& crl : config->tls().crl_files()) CheckPath(crl);
  CheckPath(config->policy_file());
  CheckPath(config->data_dir());
  CheckPath(config->backup_dir());
  if (config->limits().max_message_bytes() == 0 ||
      config->limits().max_sections() == 0 ||
      config->commit().max_group_size() == 0)
    Violated("a limit was left at zero");
  return 0;
}
