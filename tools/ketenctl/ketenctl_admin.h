// ketenctl's operator commands for retention, data-subject rights and keys.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_ADMIN_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_ADMIN_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "tools/ketenctl/ketenctl_common.h"
#include "tools/ketenctl/ketenctl_subject.h"

namespace ketenhub {

// Registers "retention run", "subject export|erase" and "rotate-kek" under
// `admin` and runs the chosen one.
class AdminCommands {
 public:
  void Register(CLI::App& admin);
  // The exit code of the chosen command, or nullopt when none ran.
  std::optional<int> Run(const GlobalFlags& flags);

 private:
  int Retention(const GlobalFlags& flags);
  int Export(const GlobalFlags& flags);
  int Erase(const GlobalFlags& flags);
  int RotateKek(const GlobalFlags& flags);
  int Backup(const GlobalFlags& flags);

  CLI::App* retention_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* erase_ = nullptr;
  CLI::App* rotate_ = nullptr;
  CLI::App* backup_ = nullptr;
  std::string backup_name_;
  bool dry_run_ = false;
  std::string as_of_, request_id_, out_file_;
  SubjectOptions subject_;
};

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_ADMIN_H_
