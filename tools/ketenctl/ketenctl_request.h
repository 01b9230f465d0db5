// ketenctl's four-eyes requests on a person's whole file
// (SubjectRequestService): an operator asks, an approver approves or
// refuses, and the operator then runs `admin subject export|erase
// --request ID`.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_REQUEST_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_REQUEST_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "ketenhub/v1/subject_request.pb.h"
#include "tools/ketenctl/ketenctl_common.h"
#include "tools/ketenctl/ketenctl_subject.h"

namespace ketenhub {

// Registers "request export|erase|list|approve|refuse" and runs the chosen
// one.
class RequestCommands {
 public:
  void Register(CLI::App& app);
  // The exit code of the chosen command, or nullopt when none ran.
  std::optional<int> Run(const GlobalFlags& flags);

 private:
  int Ask(const GlobalFlags& flags, v1::SubjectRequestKind kind);
  int List(const GlobalFlags& flags);
  int Decide(const GlobalFlags& flags, bool approve);

  CLI::App* export_ = nullptr;
  CLI::App* erase_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* approve_ = nullptr;
  CLI::App* refuse_ = nullptr;
  std::string reason_, request_id_;
  bool all_ = false;
  SubjectOptions subject_;
};

// One request as a line for people: id, kind, state, who asked, when,
// until when, who decided.
std::string RequestLine(const v1::SubjectRequest& request);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_REQUEST_H_
