#ifndef KETENHUB_CONSOLE_PAGES_H_
#define KETENHUB_CONSOLE_PAGES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "console/sessions.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/console.pb.h"

namespace ketenhub::console {

// What the worklist page shows.
struct WorklistView {
  std::string state;   // the filter as the URL gave it ("" for open)
  std::string notice;  // "toegewezen", "niet-toegewezen" or ""
  v1::WorklistResponse list;
  uint64_t generation = 0;  // the event feed's, for live updates
};

// What the signal page shows.
struct SignalView {
  v1::ReleasedSignal signal;
  std::string notice;  // a word from the redirect: "vrijgegeven", ...
};

// What the auditor's page shows: the trail's state, and a report when one
// was asked for.
struct AuditView {
  std::string verified;  // "" or why the trail does not verify
  v1::SignedCheckpoint checkpoint;
  std::string asked;  // "de betrokkene" / "medewerker X", or "" (no report)
  std::vector<v1::AuditRecord> records;
  bool truncated = false;  // more than the page shows
  std::string error;       // a refusal of the question, in words
};

// `state` ("nieuw", "in-behandeling", "besloten", "gesloten" or "") into
// `request`; false for anything else.
bool ParseStateFilter(const std::string& state, v1::WorklistRequest& request);

// The console's pages, in Dutch, from ctemplate templates that escape every
// value for its HTML context (AUTOESCAPE): nothing a partner or person
// typed can become markup.
class Pages {
 public:
  // Reads the templates in `dir` (default: the installed ones).
  // FAILED_PRECONDITION naming a template that does not load.
  static absl::StatusOr<Pages> Load(std::string dir);

  std::string Worklist(const v1::ConsolePerson& person, const Session& session,
                       const WorklistView& view) const;
  std::string Signal(const v1::ConsolePerson& person, const Session& session,
                     const SignalView& view) const;
  std::string Audit(const v1::ConsolePerson& person, const Session& session,
                    const AuditView& view) const;
  std::string Refusal(const std::string& title, const std::string& why) const;
  std::string SignedOut() const;
  const std::string& Stylesheet() const { return stylesheet_; }
  const std::string& Script() const { return script_; }

 private:
  Pages(std::string dir, std::string stylesheet, std::string script)
      : dir_(std::move(dir)),
        stylesheet_(std::move(stylesheet)),
        script_(std::move(script)) {}
  std::string path(const char* name) const { return dir_ + "/" + name; }

  std::string dir_;
  std::string stylesheet_;
  std::string script_;
};

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_PAGES_H_
