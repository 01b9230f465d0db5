#ifndef KETENHUB_CONSOLE_PAGES_H_
#define KETENHUB_CONSOLE_PAGES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "console/sessions.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/console.pb.h"
#include "ketenhub/v1/report.pb.h"

namespace ketenhub::console {

// The worklist's filters as the URL gives them (Dutch words; "" for all,
// or for the state: open).
struct WorklistFilter {
  // "nieuw", "in-behandeling", "besloten", "gesloten", "overgedragen".
  std::string state;
  std::string urgency;   // "acuut", "verhoogd", "regulier"
  std::string category;  // the category's word, e.g. "huiselijk-geweld"
  std::string assignee;  // an employee id of a colleague
};

// What the worklist page shows.
struct WorklistView {
  WorklistFilter filter;
  std::string notice;  // "toegewezen", "niet-toegewezen" or ""
  v1::WorklistResponse list;
  uint64_t generation = 0;  // the event feed's, for live updates
  // The people one may assign to (of one's own role in the console).
  std::vector<v1::ConsolePerson> colleagues;
  std::vector<v1::ConsolePerson> people;  // everyone, to show ids by name
};

// What the signal page shows.
struct SignalView {
  v1::ReleasedSignal signal;
  std::string notice;  // a word from the redirect: "vrijgegeven", ...
  std::string field;   // the field the hub refused, or ""
  std::vector<std::string> partners;  // offered for "namens", "overgedragen"
  std::vector<v1::ConsolePerson> people;  // to show ids by name
  // The other receiver a hand-over goes to (partner id), or "" for none.
  std::string hand_over_to;
};

// What the person page shows: one person's signals, oldest first, from the
// worklist (no content: the timeline is pseudonymous).
struct PersonView {
  std::string signal_id;  // the signal the person was reached through
  std::vector<v1::WorkItem> items;
  std::string notice;  // "bevestigd", "afgewezen" or ""
};

// What the possible-match page shows: two signals side by side.
struct PossibleMatchView {
  v1::ReleasedSignal signal;
  v1::ReleasedSignal other;
  std::string notice;  // "geweigerd" or ""
  std::string field;   // the field the hub refused, or ""
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

// The figures page's form as the URL gives it (dates and words, never
// personal data); "" for the defaults.
struct FiguresForm {
  std::string from;    // YYYY-MM-DD; default: the first day of this quarter
  std::string to;      // YYYY-MM-DD; default: today
  std::string period;  // "geheel" (default), "maand", "kwartaal", "jaar"
  std::string by;      // "categorie" (default), "bron", "gemeente", "urgentie"
};

// What the figures page shows.
struct FiguresView {
  FiguresForm form;  // with the defaults filled in
  std::optional<v1::FiguresResponse> figures;
  std::string error;  // a refusal, in words
};

// `form` (defaults filled in) into `request`; INVALID_ARGUMENT naming, in
// Dutch, the field with an unknown word.
absl::Status ParseFiguresForm(FiguresForm& form, v1::FiguresRequest& request);

// The figures as CSV, in Dutch: a suppressed count is "<5" or "x".
std::string FiguresCsv(const v1::FiguresResponse& figures);

// `filter` into `request`; INVALID_ARGUMENT naming, in Dutch, the filter
// that holds an unknown word. The assignee is checked by the caller.
absl::Status ParseWorklistFilter(const WorklistFilter& filter,
                                 v1::WorklistRequest& request);

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
  std::string Person(const v1::ConsolePerson& person, const Session& session,
                     const PersonView& view) const;
  std::string PossibleMatch(const v1::ConsolePerson& person,
                            const Session& session,
                            const PossibleMatchView& view) const;
  std::string Audit(const v1::ConsolePerson& person, const Session& session,
                    const AuditView& view) const;
  std::string Figures(const v1::ConsolePerson& person, const Session& session,
                      const FiguresView& view) const;
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
