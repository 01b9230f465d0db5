#include "console/pages.h"

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ctemplate/template.h"
#include "server/common/text_proto.h"

namespace ketenhub::console {
namespace {

constexpr const char* kTemplates[] = {"werklijst.tpl", "melding.tpl",
                                      "audit.tpl", "signaal.tpl"};

const char* KindWord(v1::DataKind kind) {
  switch (kind) {
    case v1::DATA_KIND_HEALTH:
      return "gezondheid";
    case v1::DATA_KIND_CRIMINAL:
      return "strafrechtelijk";
    case v1::DATA_KIND_POLICE:
      return "politie (Wpg)";
    default:
      return "algemeen";
  }
}

const char* OutcomeWord(v1::Outcome outcome) {
  switch (outcome) {
    case v1::OUTCOME_CASE_MEETING:
      return "casusoverleg";
    case v1::OUTCOME_HANDED_TO_PARTNER:
      return "overgedragen aan partner";
    case v1::OUTCOME_ADVICE_GIVEN:
      return "advies gegeven";
    case v1::OUTCOME_NO_ACTION:
      return "geen actie";
    default:
      return "";
  }
}

// The notices a redirect may name, in words.
const char* NoticeText(const std::string& notice) {
  static const std::pair<const char*, const char*> kNotices[] = {
      {"vrijgegeven",
       "Het deel is vrijgegeven; de hub heeft de grondslag vastgelegd."},
      {"besloten", "Het besluit is vastgelegd en gaat terug naar de bron."},
      {"gesloten", "Het signaal is gesloten (afgeschaald)."},
      {"geweigerd",
       "De hub weigerde dit; controleer de velden (een grondslag en een reden "
       "zijn verplicht; een gewijzigd besluit vraagt een wijzigingsreden)."}};
  for (const auto& [word, text] : kNotices) {
    if (notice == word) return text;
  }
  return nullptr;
}

const char* StateWord(v1::TriageState state) {
  switch (state) {
    case v1::TRIAGE_STATE_IN_TRIAGE:
      return "in behandeling";
    case v1::TRIAGE_STATE_DECIDED:
      return "besloten";
    case v1::TRIAGE_STATE_CLOSED:
      return "gesloten";
    default:
      return "nieuw";
  }
}

const char* UrgencyWord(v1::Urgency urgency) {
  switch (urgency) {
    case v1::URGENCY_ACUTE:
      return "acuut";
    case v1::URGENCY_ELEVATED:
      return "verhoogd";
    default:
      return "regulier";
  }
}

const char* CategoryWord(v1::Category category) {
  switch (category) {
    case v1::CATEGORY_SEXUAL_EXPLOITATION:
      return "seksuele uitbuiting";
    case v1::CATEGORY_LABOUR_EXPLOITATION:
      return "arbeidsuitbuiting";
    case v1::CATEGORY_CRIMINAL_EXPLOITATION:
      return "criminele uitbuiting";
    case v1::CATEGORY_ORGAN_REMOVAL:
      return "orgaanverwijdering";
    case v1::CATEGORY_LOVERBOY_GROOMING:
      return "loverboyproblematiek";
    case v1::CATEGORY_DOMESTIC_VIOLENCE:
      return "huiselijk geweld";
    case v1::CATEGORY_CHILD_ABUSE:
      return "kindermishandeling";
    case v1::CATEGORY_CONFUSED_BEHAVIOUR:
      return "verward gedrag";
    case v1::CATEGORY_RADICALISATION:
      return "radicalisering";
    default:
      return "overig";
  }
}

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%d-%m-%Y %H:%M", absl::FromUnixSeconds(ts.seconds()),
                          absl::LocalTimeZone());
}

void Header(ctemplate::TemplateDictionary& dict,
            const v1::ConsolePerson& person, const Session& session) {
  dict.SetValue("NAME", person.name());
  dict.SetValue("FUNCTION", person.function());
  dict.SetValue("CSRF", session.csrf_token);
  dict.ShowSection("SIGNED_IN");
}

}  // namespace

bool ParseStateFilter(const std::string& state, v1::WorklistRequest& request) {
  static const std::pair<const char*, v1::TriageState> kStates[] = {
      {"", v1::TRIAGE_STATE_UNSPECIFIED},
      {"nieuw", v1::TRIAGE_STATE_NEW},
      {"in-behandeling", v1::TRIAGE_STATE_IN_TRIAGE},
      {"besloten", v1::TRIAGE_STATE_DECIDED},
      {"gesloten", v1::TRIAGE_STATE_CLOSED}};
  for (const auto& [word, value] : kStates) {
    if (state == word) {
      request.set_state(value);
      return true;
    }
  }
  return false;
}

absl::StatusOr<Pages> Pages::Load(std::string dir) {
  if (dir.empty()) {
    // Installed beside the binary: PREFIX/bin/ketenconsole and
    // PREFIX/share/ketenhub/console, whatever PREFIX the package chose.
    std::error_code error;
    const std::filesystem::path exe =
        std::filesystem::read_symlink("/proc/self/exe", error);
    dir = (exe.parent_path().parent_path() / "share/ketenhub/console").string();
  }
  for (const char* name : kTemplates) {
    if (ctemplate::Template::GetTemplate(
            dir + "/" + name, ctemplate::STRIP_WHITESPACE) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("templates_dir: cannot load ", dir, "/", name));
    }
  }
  std::string files[2];
  const char* names[2] = {"console.css", "werklijst.js"};
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> text =
        ReadFileToString(absl::StrCat(dir, "/", names[i]));
    if (!text.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("templates_dir: cannot read ", dir, "/", names[i]));
    }
    files[i] = *std::move(text);
  }
  return Pages(std::move(dir), std::move(files[0]), std::move(files[1]));
}

std::string Pages::Worklist(const v1::ConsolePerson& person,
                            const Session& session,
                            const WorklistView& view) const {
  ctemplate::TemplateDictionary dict("werklijst");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Werklijst");
  for (const char* state :
       {"", "nieuw", "in-behandeling", "besloten", "gesloten"}) {
    ctemplate::TemplateDictionary* option = dict.AddSectionDictionary("STATE");
    option->SetValue("VALUE", state);
    option->SetValue("LABEL",
                     *state == '\0' ? "open (alles behalve gesloten)" : state);
    if (view.state == state) option->ShowSection("SELECTED");
  }
  if (view.notice == "toegewezen") {
    dict.SetValueAndShowSection("NOTICE", "Het signaal is aan u toegewezen.",
                                "HAS_NOTICE");
  } else if (view.notice == "niet-toegewezen") {
    dict.SetValueAndShowSection(
        "NOTICE", "Toewijzen lukte niet (is het signaal al gesloten?).",
        "HAS_NOTICE");
  }
  std::string group;
  int number = 0;
  for (const v1::WorkItem& item : view.list.items()) {
    if (item.person_group() != group) {
      group = item.person_group();
      ++number;
    }
    ctemplate::TemplateDictionary* row = dict.AddSectionDictionary("ITEM");
    row->SetIntValue("PERSON", number);
    row->SetValue("STATE", StateWord(item.triage().state()));
    row->SetValue("URGENCY", UrgencyWord(item.urgency()));
    row->SetValue("URGENCY_CLASS",
                  item.urgency() == v1::URGENCY_ACUTE ? "acuut" : "");
    row->SetValue("CATEGORY", CategoryWord(item.category()));
    row->SetValue("RECEIVED", When(item.received_at()));
    row->SetValue("SOURCE", item.source_partner());
    row->SetValue("ASSIGNEE", item.triage().assignee().empty()
                                  ? "niemand"
                                  : item.triage().assignee());
    row->SetValue("SIGNAL", item.signal_id());
    row->SetValue("CSRF", session.csrf_token);
    if (item.person_signals() > 1) {
      row->SetIntValue("MATCHES", static_cast<int>(item.person_signals()));
      row->ShowSection("MATCH");
    }
    if (item.signal_state() == v1::SIGNAL_STATE_WITHDRAWN)
      row->ShowSection("WITHDRAWN");
    if (item.triage().state() == v1::TRIAGE_STATE_NEW ||
        (item.triage().state() == v1::TRIAGE_STATE_IN_TRIAGE &&
         item.triage().assignee() != person.employee_id())) {
      row->ShowSection("CAN_TAKE");
    }
  }
  if (view.list.items().empty()) dict.ShowSection("EMPTY");
  dict.SetIntValue("SHOWN", view.list.items_size());
  dict.SetValue("GENERATION", absl::StrCat(view.generation));
  dict.SetValue("STATE_FILTER", view.state);
  dict.SetIntValue("TOTAL", static_cast<int>(view.list.total()));
  std::string out;
  ctemplate::ExpandTemplate(path("werklijst.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::Signal(const v1::ConsolePerson& person,
                          const Session& session,
                          const SignalView& view) const {
  const v1::ReleasedSignal& signal = view.signal;
  ctemplate::TemplateDictionary dict("signaal");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Signaal");
  dict.SetValue("SIGNAL", signal.signal_id());
  dict.SetValue("CSRF", session.csrf_token);
  if (const char* notice = NoticeText(view.notice))
    dict.SetValueAndShowSection("NOTICE", notice, "HAS_NOTICE");
  dict.SetValue("SOURCE", signal.source_partner());
  dict.SetValue("CATEGORY", CategoryWord(signal.category()));
  dict.SetValue("URGENCY", UrgencyWord(signal.urgency()));
  dict.SetValue("RECEIVED", When(signal.received_at()));
  dict.SetValue("STATE", StateWord(signal.triage().state()));
  dict.SetValue("ASSIGNEE", signal.triage().assignee().empty()
                                ? "niemand"
                                : signal.triage().assignee());
  if (signal.subject().has_person()) {
    dict.SetValue("SUBJECT",
                  absl::StrCat(signal.subject().person().name(), ", geboren ",
                               signal.subject().person().date_of_birth()));
  } else {
    dict.SetValue("SUBJECT", absl::StrCat("BSN ", signal.subject().bsn()));
  }
  dict.SetValue("MUNICIPALITY", signal.municipality());
  dict.SetValue("SUMMARY", signal.summary());
  dict.SetValue("LEGAL_BASIS", signal.legal_basis());
  dict.SetValue("CONTACT", absl::StrCat(signal.contact().name(), ", ",
                                        signal.contact().role(), ", ",
                                        signal.contact().phone().empty()
                                            ? signal.contact().email()
                                            : signal.contact().phone()));
  for (const v1::ReleasedSection& section : signal.sections()) {
    ctemplate::TemplateDictionary* part = dict.AddSectionDictionary("PART");
    part->SetValue("KIND", KindWord(section.kind()));
    part->SetValue("KIND_NAME", v1::DataKind_Name(section.kind()));
    part->SetValue("CSRF", session.csrf_token);
    part->SetValue("SIGNAL", signal.signal_id());
    switch (section.disclosure()) {
      case v1::DISCLOSURE_RELEASED:
        part->SetValue("PART_TITLE", section.title());
        part->SetValue("TEXT", section.text());
        part->ShowSection("RELEASED");
        if (section.no_onward_sharing()) part->ShowSection("NO_ONWARD");
        break;
      case v1::DISCLOSURE_WITHHELD_RELEASABLE:
        part->ShowSection("RELEASABLE");
        break;
      default:
        part->ShowSection("NEVER");
    }
  }
  if (signal.has_decision()) {
    dict.SetValue("OUTCOME", OutcomeWord(signal.decision().outcome()));
    dict.SetValue("REASON", signal.decision().reason());
    dict.SetValue("DECIDED_AT", When(signal.decision().decided_at()));
    dict.ShowSection("DECIDED");
    dict.ShowSection("CHANGE");
  }
  for (v1::Outcome outcome :
       {v1::OUTCOME_CASE_MEETING, v1::OUTCOME_HANDED_TO_PARTNER,
        v1::OUTCOME_ADVICE_GIVEN, v1::OUTCOME_NO_ACTION}) {
    ctemplate::TemplateDictionary* option =
        dict.AddSectionDictionary("OUTCOMES");
    option->SetValue("VALUE", v1::Outcome_Name(outcome));
    option->SetValue("LABEL", OutcomeWord(outcome));
  }
  if (signal.triage().state() == v1::TRIAGE_STATE_DECIDED ||
      signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
    dict.ShowSection("CAN_CLOSE");
  }
  std::string out;
  ctemplate::ExpandTemplate(path("signaal.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::Audit(const v1::ConsolePerson& person,
                         const Session& session, const AuditView& view) const {
  ctemplate::TemplateDictionary dict("audit");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Verantwoording");
  dict.SetValue("CSRF", session.csrf_token);
  dict.SetIntValue("TREE_SIZE", static_cast<int>(view.checkpoint.tree_size()));
  dict.SetValue("SIGNED_AT", When(view.checkpoint.time()));
  dict.SetValue("ROOT", absl::BytesToHexString(view.checkpoint.root_hash()));
  dict.SetValue("KEY_ID", view.checkpoint.key_id());
  if (view.verified.empty()) {
    dict.ShowSection("VERIFIED");
  } else {
    dict.SetValueAndShowSection("PROBLEM", view.verified, "NOT_VERIFIED");
  }
  if (!view.error.empty())
    dict.SetValueAndShowSection("ERROR", view.error, "HAS_ERROR");
  if (!view.asked.empty()) {
    ctemplate::TemplateDictionary* report = dict.AddSectionDictionary("REPORT");
    report->SetValue("ASKED", view.asked);
    report->SetIntValue("COUNT", static_cast<int>(view.records.size()));
    if (view.truncated) report->ShowSection("TRUNCATED");
    if (view.records.empty()) report->ShowSection("NONE");
    for (const v1::AuditRecord& record : view.records) {
      ctemplate::TemplateDictionary* row = report->AddSectionDictionary("ROW");
      row->SetIntValue("INDEX", static_cast<int>(record.index()));
      row->SetValue("WHEN", When(record.end_time()));
      row->SetValue("ACTOR", record.actor_partner_id().empty()
                                 ? record.actor_oin()
                                 : record.actor_partner_id());
      row->SetValue("PERSON",
                    record.acting_user_id().empty()
                        ? "—"
                        : absl::StrCat(record.acting_user_id(), " (",
                                       record.acting_user_role(), ")"));
      row->SetValue("OPERATION", record.operation());
      row->SetValue("OUTCOME",
                    record.status_code() == "OK"
                        ? "gelukt"
                        : absl::StrCat("geweigerd: ", record.status_code()));
      row->SetValue("BASIS", record.legal_basis());
      row->SetValue("BEHALF", record.on_behalf_of());
    }
  }
  std::string out;
  ctemplate::ExpandTemplate(path("audit.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::Refusal(const std::string& title,
                           const std::string& why) const {
  ctemplate::TemplateDictionary dict("melding");
  dict.SetValue("TITLE", title);
  dict.SetValue("TEXT", why);
  std::string out;
  ctemplate::ExpandTemplate(path("melding.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::SignedOut() const {
  return Refusal("Afgemeld",
                 "U bent afgemeld. Sluit de browser om ook uw certificaat los "
                 "te laten.");
}

}  // namespace ketenhub::console
