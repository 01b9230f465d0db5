// ketenctl's worklist commands, for the chain director's people.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_WORKLIST_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_WORKLIST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "ketenhub/v1/chain_director.pb.h"
#include "tools/ketenctl/ketenctl_common.h"

namespace ketenhub {

// Registers "worklist", "assign", "close", "reopen", "confirm-match" and
// "dismiss-match" on `app` and runs the chosen one.
class WorklistCommands {
 public:
  void Register(CLI::App& app);
  // The exit code of the chosen command, or nullopt when none ran.
  std::optional<int> Run(const GlobalFlags& flags);

 private:
  int List(const GlobalFlags& flags);
  int Step(const GlobalFlags& flags, CLI::App* command);
  int Judge(const GlobalFlags& flags, bool confirm);

  CLI::App* list_ = nullptr;
  CLI::App* assign_ = nullptr;
  CLI::App* close_ = nullptr;
  CLI::App* reopen_ = nullptr;
  CLI::App* hand_over_ = nullptr;
  CLI::App* confirm_ = nullptr;
  CLI::App* dismiss_ = nullptr;
  std::string state_, urgency_, category_, assignee_, person_of_, page_token_;
  uint32_t page_size_ = 0;
  std::string signal_id_, other_signal_id_, to_, reason_;
};

// "in triage, assigned to regisseur-2 (by regisseur-1, 2026-11-30 ...)"
std::string TriageText(const v1::Triage& triage);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_WORKLIST_H_
