// ketenctl's figures for the council (ReportService).
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_REPORT_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_REPORT_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "ketenhub/v1/report.pb.h"
#include "tools/ketenctl/ketenctl_common.h"

namespace ketenhub {

// Registers "report" and runs it: a table by default, --csv for a
// spreadsheet, --json for scripts.
class ReportCommand {
 public:
  void Register(CLI::App& app);
  // The exit code, or nullopt when "report" was not chosen.
  std::optional<int> Run(const GlobalFlags& flags);

 private:
  CLI::App* report_ = nullptr;
  std::string from_, to_, period_ = "quarter", by_;
  bool csv_ = false;
};

// The figures as text: aligned columns, or CSV. A suppressed count is
// "<N" (small) or "x" (hidden so that a small one cannot be worked out).
std::string FiguresText(const v1::FiguresResponse& figures, bool csv);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_REPORT_H_
