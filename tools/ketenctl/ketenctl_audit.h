// ketenctl's "audit" commands, for auditors and privacy officers.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_AUDIT_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "tools/ketenctl/ketenctl_common.h"
#include "tools/ketenctl/ketenctl_subject.h"

namespace ketenhub {

// Registers "audit query|export|verify" on `app` and runs the chosen one.
class AuditCommands {
 public:
  void Register(CLI::App& app);
  // The exit code of the chosen audit command, or nullopt when none ran.
  std::optional<int> Run(const GlobalFlags& flags);

 private:
  int Query(const GlobalFlags& flags, bool export_all);
  int VerifyOnline(const GlobalFlags& flags);

  CLI::App* query_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* verify_ = nullptr;
  SubjectOptions subject_;
  std::string actor_, operation_, outcome_;
  std::string from_, to_, trace_id_, signal_id_, user_, out_file_;
  std::string public_key_, checkpoint_file_, save_file_, data_dir_;
  std::vector<uint64_t> records_;
  size_t limit_ = 0;
  bool cross_check_ = false;
};

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_AUDIT_H_
