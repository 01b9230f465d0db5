#include "console/pages.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/figures_table.h"
#include "ctemplate/template.h"
#include "server/common/text_proto.h"

namespace ketenhub::console {
namespace {

constexpr const char* kTemplates[] = {"werklijst.tpl", "melding.tpl",
                                      "audit.tpl",     "signaal.tpl",
                                      "persoon.tpl",   "cijfers.tpl"};

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
    case v1::OUTCOME_VICTIM_REACHED:
      return "slachtoffer bereikt";
    case v1::OUTCOME_REFERRED_TO_SHELTER:
      return "verwezen naar opvang";
    case v1::OUTCOME_REFERRED_TO_CARE:
      return "verwezen naar zorg";
    case v1::OUTCOME_HELP_DECLINED:
      return "hulp afgewezen";
    case v1::OUTCOME_NOT_REACHABLE:
      return "niet bereikbaar";
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
      {"overgedragen",
       "Het signaal is overgedragen; het staat nu in de werklijst van de "
       "ander."},
      {"geweigerd", "De hub weigerde dit."}};
  for (const auto& [word, text] : kNotices) {
    if (notice == word) return text;
  }
  return nullptr;
}

// What to do about a refused field (the hub's field name), in words.
std::string RefusedField(const std::string& field) {
  static const std::pair<const char*, const char*> kFields[] = {
      {"legal_basis", "Vul een grondslag in (ten hoogste 500 tekens)."},
      {"reason", "Vul een reden in (ten hoogste 500 tekens)."},
      {"change_reason",
       "Een gewijzigd besluit vraagt waarom het verandert: vul dat in."},
      {"on_behalf_of",
       "Bij \"namens\" staat geen partner die de hub kent; laat het leeg "
       "voor de bron."},
      {"handed_to",
       "Bij overdracht hoort een partner die de hub kent bij \"overgedragen "
       "aan\"."},
      {"outcome", "Kies een uitkomst die bij uw functie hoort."},
      {"referred_to",
       "Bij een verwijzing hoort de naam van de opvang of zorgaanbieder (een "
       "organisatie, geen persoon) bij \"verwezen naar\"; laat het anders "
       "leeg."},
      {"to",
       "Deze overdracht kan niet: de toegangsregels brengen dit signaal "
       "niet bij de ander."},
      {"kind", "Dit deel bestaat niet in het signaal."},
      {"other_signal_id",
       "Deze signalen delen geen kenmerk, of gaan al over dezelfde persoon."},
      {"state",
       "Dit kan niet in de huidige stand van het signaal (is het gesloten of "
       "ingetrokken?)."}};
  for (const auto& [name, text] : kFields) {
    if (field == name) return text;
  }
  return "Controleer de velden en probeer het opnieuw.";
}

struct Word {
  int value;
  const char* slug;  // in URLs (filters)
  const char* text;  // on the page
};

constexpr Word kUrgencies[] = {{v1::URGENCY_ACUTE, "acuut", "acuut"},
                               {v1::URGENCY_ELEVATED, "verhoogd", "verhoogd"},
                               {v1::URGENCY_ROUTINE, "regulier", "regulier"}};

constexpr Word kCategories[] = {
    {v1::CATEGORY_SEXUAL_EXPLOITATION, "seksuele-uitbuiting",
     "seksuele uitbuiting"},
    {v1::CATEGORY_LABOUR_EXPLOITATION, "arbeidsuitbuiting",
     "arbeidsuitbuiting"},
    {v1::CATEGORY_CRIMINAL_EXPLOITATION, "criminele-uitbuiting",
     "criminele uitbuiting"},
    {v1::CATEGORY_ORGAN_REMOVAL, "orgaanverwijdering", "orgaanverwijdering"},
    {v1::CATEGORY_LOVERBOY_GROOMING, "loverboyproblematiek",
     "loverboyproblematiek"},
    {v1::CATEGORY_DOMESTIC_VIOLENCE, "huiselijk-geweld", "huiselijk geweld"},
    {v1::CATEGORY_CHILD_ABUSE, "kindermishandeling", "kindermishandeling"},
    {v1::CATEGORY_CONFUSED_BEHAVIOUR, "verward-gedrag", "verward gedrag"},
    {v1::CATEGORY_RADICALISATION, "radicalisering", "radicalisering"},
    {v1::CATEGORY_OTHER, "overig", "overig"}};

constexpr Word kStates[] = {
    {v1::TRIAGE_STATE_NEW, "nieuw", "nieuw"},
    {v1::TRIAGE_STATE_IN_TRIAGE, "in-behandeling", "in behandeling"},
    {v1::TRIAGE_STATE_DECIDED, "besloten", "besloten"},
    {v1::TRIAGE_STATE_CLOSED, "gesloten", "gesloten"},
    {v1::TRIAGE_STATE_HANDED_OVER, "overgedragen", "overgedragen"}};

template <size_t N>
const char* TextOf(const Word (&words)[N], int value, const char* otherwise) {
  for (const Word& word : words) {
    if (word.value == value) return word.text;
  }
  return otherwise;
}

// The value a slug names, 0 for "", nullopt for an unknown slug.
template <size_t N>
std::optional<int> ValueOf(const Word (&words)[N], const std::string& slug) {
  if (slug.empty()) return 0;
  for (const Word& word : words) {
    if (slug == word.slug) return word.value;
  }
  return std::nullopt;
}

// A filter's options, the chosen one selected.
template <size_t N>
void Options(ctemplate::TemplateDictionary& dict, const char* section,
             const char* all, const Word (&words)[N],
             const std::string& chosen) {
  ctemplate::TemplateDictionary* option = dict.AddSectionDictionary(section);
  option->SetValue("VALUE", "");
  option->SetValue("LABEL", all);
  for (const Word& word : words) {
    option = dict.AddSectionDictionary(section);
    option->SetValue("VALUE", word.slug);
    option->SetValue("LABEL", word.text);
    if (chosen == word.slug) option->ShowSection("SELECTED");
  }
}

const char* StateWord(v1::TriageState state) {
  return TextOf(kStates, state, "nieuw");
}
const char* UrgencyWord(v1::Urgency urgency) {
  return TextOf(kUrgencies, urgency, "regulier");
}
const char* CategoryWord(v1::Category category) {
  return TextOf(kCategories, category, "overig");
}

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%d-%m-%Y %H:%M", absl::FromUnixSeconds(ts.seconds()),
                          absl::LocalTimeZone());
}

// A weak identifier as the partner gave it, in Dutch.
std::string IdentifierText(const v1::Identifier& identifier) {
  switch (identifier.value_case()) {
    case v1::Identifier::kPhone:
      return absl::StrCat("telefoon ", identifier.phone());
    case v1::Identifier::kEmail:
      return absl::StrCat("e-mail ", identifier.email());
    case v1::Identifier::kAddress:
      return absl::StrCat("adres ", identifier.address().postcode(), " ",
                          identifier.address().house_number(), " ",
                          identifier.address().addition());
    case v1::Identifier::kAlias:
      return absl::StrCat("alias ", identifier.alias());
    case v1::Identifier::kAdvert:
      return identifier.advert().url().empty()
                 ? absl::StrCat("advertentie ", identifier.advert().site(),
                                " #", identifier.advert().advert_id())
                 : absl::StrCat("advertentie ", identifier.advert().url());
    case v1::Identifier::VALUE_NOT_SET:
      break;
  }
  return "(leeg)";
}

const char* IdentifierKindWord(int kind) {
  switch (kind) {
    case v1::IDENTIFIER_KIND_PHONE:
      return "telefoonnummer";
    case v1::IDENTIFIER_KIND_EMAIL:
      return "e-mailadres";
    case v1::IDENTIFIER_KIND_ADDRESS:
      return "adres";
    case v1::IDENTIFIER_KIND_ALIAS:
      return "alias";
    case v1::IDENTIFIER_KIND_ADVERT:
      return "advertentie";
    default:
      return "kenmerk";
  }
}

std::string SharedKinds(const v1::PossibleMatch& match) {
  std::vector<std::string> words;
  for (int kind : match.shared_kinds())
    words.push_back(IdentifierKindWord(kind));
  return absl::StrJoin(words, ", ");
}

// One side of the possible-match page.
void Side(ctemplate::TemplateDictionary& side,
          const v1::ReleasedSignal& signal) {
  side.SetValue("SIGNAL", signal.signal_id());
  side.SetValue("SOURCE", signal.source_partner());
  side.SetValue("RECEIVED", When(signal.received_at()));
  side.SetValue("CATEGORY", CategoryWord(signal.category()));
  if (signal.subject().has_person()) {
    side.SetValue("SUBJECT",
                  absl::StrCat(signal.subject().person().name(), ", geboren ",
                               signal.subject().person().date_of_birth()));
  } else if (!signal.subject().bsn().empty()) {
    side.SetValue("SUBJECT", absl::StrCat("BSN ", signal.subject().bsn()));
  } else {
    side.SetValue("SUBJECT", "niet bekend (alleen kenmerken)");
  }
  for (const v1::Identifier& identifier : signal.subject().identifiers()) {
    side.AddSectionDictionary("IDENTIFIER")
        ->SetValue("TEXT", IdentifierText(identifier));
  }
  side.SetValue("SUMMARY", signal.summary());
}

// `id`'s name among `people`, or the id itself.
std::string NameOf(const std::vector<v1::ConsolePerson>& people,
                   const std::string& id) {
  for (const v1::ConsolePerson& person : people) {
    if (person.employee_id() == id) return person.name();
  }
  return id;
}

// "overgedragen van ketenregisseur aan zorgcoordinator door Anna de Vries
// op 30-11-2026 14:00".
std::string HandOverText(const v1::HandOver& hand_over,
                         const std::vector<v1::ConsolePerson>& people) {
  return absl::StrCat("overgedragen van ", hand_over.from(), " aan ",
                      hand_over.to(), " door ", NameOf(people, hand_over.by()),
                      " op ", When(hand_over.at()));
}

void Header(ctemplate::TemplateDictionary& dict,
            const v1::ConsolePerson& person, const Session& session) {
  dict.SetValue("NAME", person.name());
  dict.SetValue("FUNCTION", person.function());
  dict.SetValue("CSRF", session.csrf_token);
  dict.ShowSection("SIGNED_IN");
}

}  // namespace

namespace {

constexpr std::pair<const char*, v1::Period> kPeriods[] = {
    {"geheel", v1::PERIOD_UNSPECIFIED},
    {"maand", v1::PERIOD_MONTH},
    {"kwartaal", v1::PERIOD_QUARTER},
    {"jaar", v1::PERIOD_YEAR}};
constexpr std::pair<const char*, v1::Dimension> kDimensions[] = {
    {"categorie", v1::DIMENSION_CATEGORY},
    {"bron", v1::DIMENSION_SOURCE},
    {"gemeente", v1::DIMENSION_MUNICIPALITY},
    {"urgentie", v1::DIMENSION_URGENCY}};
const char* kPeriodLabels[] = {"het hele tijdvak", "maand", "kwartaal", "jaar"};
const char* kDimensionLabels[] = {"categorie", "bron (partner)",
                                  "gemeente (CBS-code)", "urgentie"};

// A dimension's value (an enum name, a partner id, a CBS code) in Dutch;
// "totaal" for a margin.
std::string KeyWord(v1::Dimension dimension, const std::string& key) {
  if (key.empty()) return "totaal";
  if (dimension == v1::DIMENSION_CATEGORY) {
    v1::Category category;
    if (v1::Category_Parse(key, &category)) return CategoryWord(category);
  }
  if (dimension == v1::DIMENSION_URGENCY) {
    v1::Urgency urgency;
    if (v1::Urgency_Parse(key, &urgency)) return UrgencyWord(urgency);
  }
  if (key == "unknown") return "onbekend";
  return key;
}

const FigureWords& DutchWords() {
  static const FigureWords* words =
      new FigureWords{.period = "periode",
                      .total = "totaal",
                      .figures = {"signalen", "personen", "gematcht",
                                  "ingetrokken", "vernietigd", "besloten"},
                      .median = "mediaan uren tot besluit",
                      .no_median = "—",
                      .dimension = [](v1::Dimension dimension) -> std::string {
                        for (const auto& [slug, known] : kDimensions) {
                          if (known == dimension) return slug;
                        }
                        return "";
                      },
                      .key = KeyWord,
                      .outcome = [](v1::Outcome outcome) -> std::string {
                        return OutcomeWord(outcome);
                      },
                      .released = [](v1::DataKind kind) -> std::string {
                        return absl::StrCat("vrijgegeven ", KindWord(kind));
                      }};
  return *words;
}

// Horizontal bars for `values` (label, figure) into `section`s of `dict`;
// returns the chart's height.
int Bars(ctemplate::TemplateDictionary& dict, const char* section,
         const std::vector<std::pair<std::string, v1::Figure>>& values,
         uint32_t threshold) {
  uint64_t top = 1;
  for (const auto& [label, figure] : values)
    top = std::max(top, figure.value());
  int y = 4;
  for (const auto& [label, figure] : values) {
    ctemplate::TemplateDictionary* bar = dict.AddSectionDictionary(section);
    const int width = static_cast<int>(figure.value() * 360 / top);
    bar->SetValue("LABEL", label);
    bar->SetIntValue("Y", y);
    bar->SetIntValue("TEXT_Y", y + 15);
    bar->SetIntValue("WIDTH", width);
    bar->SetIntValue("VALUE_X", 200 + width + 6);
    bar->SetValue("VALUE", FigureText(figure, threshold));
    y += 28;
  }
  return y + 4;
}

}  // namespace

absl::Status ParseFiguresForm(FiguresForm& form, v1::FiguresRequest& request) {
  const absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  if (form.from.empty()) {
    form.from = absl::FormatCivilTime(
        absl::CivilDay(today.year(), (today.month() - 1) / 3 * 3 + 1, 1));
  }
  if (form.to.empty()) form.to = absl::FormatCivilTime(today);
  if (form.period.empty()) form.period = "geheel";
  if (form.by.empty()) form.by = "categorie";
  bool known = false;
  for (const auto& [slug, period] : kPeriods) {
    if (form.period == slug) {
      request.set_period(period);
      known = true;
    }
  }
  if (!known) return absl::InvalidArgumentError("per periode");
  known = false;
  for (const auto& [slug, dimension] : kDimensions) {
    if (form.by == slug) {
      request.add_by(dimension);
      known = true;
    }
  }
  if (!known) return absl::InvalidArgumentError("uitgesplitst naar");
  request.set_from_date(form.from);
  request.set_to_date(form.to);
  return absl::OkStatus();
}

std::string FiguresCsv(const v1::FiguresResponse& figures) {
  return CsvText(FiguresTable(figures, DutchWords()), "\r\n");
}

absl::Status ParseWorklistFilter(const WorklistFilter& filter,
                                 v1::WorklistRequest& request) {
  const std::optional<int> state = ValueOf(kStates, filter.state);
  if (!state) return absl::InvalidArgumentError("status");
  const std::optional<int> urgency = ValueOf(kUrgencies, filter.urgency);
  if (!urgency) return absl::InvalidArgumentError("urgentie");
  const std::optional<int> category = ValueOf(kCategories, filter.category);
  if (!category) return absl::InvalidArgumentError("categorie");
  request.set_state(static_cast<v1::TriageState>(*state));
  request.set_urgency(static_cast<v1::Urgency>(*urgency));
  request.set_category(static_cast<v1::Category>(*category));
  request.set_assignee(filter.assignee);
  return absl::OkStatus();
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
  dict.SetValue("WHOSE", person.role() == v1::ROLE_CARE_COORDINATOR
                             ? "zorgcoördinatie mensenhandel"
                             : "ketenregie");
  const WorklistFilter& filter = view.filter;
  Options(dict, "STATE", "open (alles behalve gesloten)", kStates,
          filter.state);
  Options(dict, "URGENCY_OPTION", "alle", kUrgencies, filter.urgency);
  Options(dict, "CATEGORY_OPTION", "alle", kCategories, filter.category);
  auto name_of = [&view](const std::string& id) {
    return NameOf(view.people, id);
  };
  {
    ctemplate::TemplateDictionary* option =
        dict.AddSectionDictionary("ASSIGNEE_OPTION");
    option->SetValue("VALUE", "");
    option->SetValue("LABEL", "iedereen");
    for (const v1::ConsolePerson& colleague : view.colleagues) {
      option = dict.AddSectionDictionary("ASSIGNEE_OPTION");
      option->SetValue("VALUE", colleague.employee_id());
      option->SetValue("LABEL", colleague.name());
      if (filter.assignee == colleague.employee_id())
        option->ShowSection("SELECTED");
    }
  }
  if (view.notice == "toegewezen") {
    dict.SetValueAndShowSection("NOTICE", "Het signaal is toegewezen.",
                                "HAS_NOTICE");
  } else if (view.notice == "niet-toegewezen") {
    dict.SetValueAndShowSection(
        "NOTICE",
        "Toewijzen lukte niet: het signaal is gesloten, of de hub was niet "
        "bereikbaar.",
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
                                  : name_of(item.triage().assignee()));
    row->SetValue("SIGNAL", item.signal_id());
    row->SetValue("CSRF", session.csrf_token);
    if (item.person_signals() > 1) {
      row->SetIntValue("MATCHES", static_cast<int>(item.person_signals()));
      row->ShowSection("MATCH");
    }
    if (item.signal_state() == v1::SIGNAL_STATE_WITHDRAWN)
      row->ShowSection("WITHDRAWN");
    if (item.triage().has_hand_over()) {
      row->SetValueAndShowSection(
          "HAND_OVER", HandOverText(item.triage().hand_over(), view.people),
          "HANDED_OVER");
    }
    for (const v1::PossibleMatch& match : item.possible_matches()) {
      ctemplate::TemplateDictionary* possible =
          row->AddSectionDictionary("POSSIBLE");
      possible->SetValue("SIGNAL", item.signal_id());
      possible->SetValue("OTHER", match.signal_id());
      possible->SetValue("KINDS", SharedKinds(match));
      possible->SetValue("OTHER_SOURCE", match.source_partner());
    }
    if (item.triage().state() != v1::TRIAGE_STATE_CLOSED &&
        item.triage().state() != v1::TRIAGE_STATE_HANDED_OVER) {
      ctemplate::TemplateDictionary* assign =
          row->AddSectionDictionary("CAN_ASSIGN");
      assign->SetValue("SIGNAL", item.signal_id());
      assign->SetValue("CSRF", session.csrf_token);
      // Oneself first: the common case is one keypress away.
      ctemplate::TemplateDictionary* me = assign->AddSectionDictionary("TO");
      me->SetValue("VALUE", person.employee_id());
      me->SetValue("LABEL", absl::StrCat("mij (", person.name(), ")"));
      for (const v1::ConsolePerson& colleague : view.colleagues) {
        if (colleague.employee_id() == person.employee_id()) continue;
        ctemplate::TemplateDictionary* to = assign->AddSectionDictionary("TO");
        to->SetValue("VALUE", colleague.employee_id());
        to->SetValue("LABEL", colleague.name());
      }
    }
  }
  if (view.list.items().empty()) dict.ShowSection("EMPTY");
  dict.SetIntValue("SHOWN", view.list.items_size());
  dict.SetValue("GENERATION", absl::StrCat(view.generation));
  dict.SetValue("QUERY", absl::StrCat("status=", filter.state,
                                      "&urgentie=", filter.urgency,
                                      "&categorie=", filter.category,
                                      "&toegewezen=", filter.assignee));
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
  if (const char* notice = NoticeText(view.notice)) {
    dict.SetValueAndShowSection(
        "NOTICE",
        view.notice == "geweigerd"
            ? absl::StrCat(notice, " ", RefusedField(view.field))
            : std::string(notice),
        "HAS_NOTICE");
    if (view.notice == "geweigerd") dict.ShowSection("NOTICE_ALERT");
  }
  for (const std::string& partner : view.partners) {
    dict.SetValueAndShowSection("PARTNER", partner, "PARTNERS");
  }
  dict.SetValue("SOURCE", signal.source_partner());
  dict.SetValue("CATEGORY", CategoryWord(signal.category()));
  dict.SetValue("URGENCY", UrgencyWord(signal.urgency()));
  dict.SetValue("RECEIVED", When(signal.received_at()));
  dict.SetValue("STATE", StateWord(signal.triage().state()));
  const std::string& assignee = signal.triage().assignee();
  dict.SetValue("ASSIGNEE",
                assignee.empty() ? "niemand" : NameOf(view.people, assignee));
  const bool care = person.role() == v1::ROLE_CARE_COORDINATOR;
  const bool handed = signal.triage().state() == v1::TRIAGE_STATE_HANDED_OVER;
  if (signal.triage().has_hand_over()) {
    const v1::HandOver& last = signal.triage().hand_over();
    dict.SetValueAndShowSection("HAND_OVER_NOTE",
                                absl::StrCat(HandOverText(last, view.people),
                                             "; reden: ", last.reason()),
                                "HAS_HAND_OVER");
  }
  if (!view.hand_over_to.empty() && !handed &&
      signal.triage().state() != v1::TRIAGE_STATE_CLOSED &&
      signal.state() != v1::SIGNAL_STATE_WITHDRAWN) {
    dict.SetValueAndShowSection("HAND_OVER_LABEL",
                                care ? "Teruggeven aan de ketenregisseur"
                                     : "Overdragen aan de zorgcoördinator",
                                "CAN_HAND_OVER");
  }
  if (signal.subject().has_person()) {
    dict.SetValue("SUBJECT",
                  absl::StrCat(signal.subject().person().name(), ", geboren ",
                               signal.subject().person().date_of_birth()));
  } else if (!signal.subject().bsn().empty()) {
    dict.SetValue("SUBJECT", absl::StrCat("BSN ", signal.subject().bsn()));
  } else {
    dict.SetValue("SUBJECT", "niet bekend (alleen kenmerken)");
  }
  for (const v1::Identifier& identifier : signal.subject().identifiers()) {
    dict.SetValueAndShowSection("IDENTIFIER", IdentifierText(identifier),
                                "IDENTIFIERS");
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
        if (section.has_release()) {
          const v1::SectionRelease& how = section.release();
          part->SetValue("RELEASED_AT", When(how.released_at()));
          part->SetValue("RELEASED_BY",
                         how.released_by().empty()
                             ? std::string("de toegangsregels, bij ontvangst")
                         : how.released_by_role().empty()
                             ? how.released_by()
                             : absl::StrCat(how.released_by(), " (",
                                            how.released_by_role(), ")"));
          part->SetValue("RELEASE_BASIS", how.legal_basis().empty()
                                              ? "niet vastgelegd"
                                              : how.legal_basis());
          if (!how.on_behalf_of().empty()) {
            part->SetValueAndShowSection("BEHALF", how.on_behalf_of(),
                                         "HAS_BEHALF");
          }
          part->ShowSection("RELEASE_NOTE");
        }
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
    // The history, newest first: the one in force on top.
    std::vector<const v1::Decision*> history = {&signal.decision()};
    for (int i = signal.earlier_decisions_size() - 1; i >= 0; --i)
      history.push_back(&signal.earlier_decisions(i));
    for (const v1::Decision* decision : history) {
      ctemplate::TemplateDictionary* row =
          dict.AddSectionDictionary("DECISION");
      row->SetValue("DECIDED_AT", When(decision->decided_at()));
      row->SetValue("OUTCOME", OutcomeWord(decision->outcome()));
      if (!decision->handed_to().empty()) {
        row->SetValueAndShowSection("HANDED_TO", decision->handed_to(),
                                    "HANDED");
      }
      if (!decision->referred_to().empty()) {
        row->SetValueAndShowSection("HANDED_TO", decision->referred_to(),
                                    "HANDED");
      }
      row->SetValue("REASON", decision->reason());
      row->SetValue("BY", decision->decided_by_role());
      row->SetValue("BEHALF", decision->on_behalf_of());
      row->SetValue("CHANGE_REASON", decision->change_reason().empty()
                                         ? "—"
                                         : decision->change_reason());
      if (decision == history.front()) row->ShowSection("CURRENT");
    }
    dict.ShowSection("DECIDED");
    dict.ShowSection("CHANGE");
  }
  // Each function its own outcomes; care refers to an organisation, the
  // chain director hands over to a partner.
  constexpr v1::Outcome kTriageOutcomes[] = {
      v1::OUTCOME_CASE_MEETING, v1::OUTCOME_HANDED_TO_PARTNER,
      v1::OUTCOME_ADVICE_GIVEN, v1::OUTCOME_NO_ACTION};
  constexpr v1::Outcome kCareOutcomes[] = {
      v1::OUTCOME_VICTIM_REACHED, v1::OUTCOME_REFERRED_TO_SHELTER,
      v1::OUTCOME_REFERRED_TO_CARE, v1::OUTCOME_HELP_DECLINED,
      v1::OUTCOME_NOT_REACHABLE};
  for (v1::Outcome outcome : care ? absl::MakeConstSpan(kCareOutcomes)
                                  : absl::MakeConstSpan(kTriageOutcomes)) {
    ctemplate::TemplateDictionary* option =
        dict.AddSectionDictionary("OUTCOMES");
    option->SetValue("VALUE", v1::Outcome_Name(outcome));
    option->SetValue("LABEL", OutcomeWord(outcome));
  }
  dict.ShowSection(care ? "CARE" : "TRIAGE");
  if (handed) {
    dict.ShowSection("WITH_OTHER");
  } else {
    dict.ShowSection("CAN_DECIDE");
  }
  if (signal.triage().state() == v1::TRIAGE_STATE_DECIDED || handed ||
      signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
    dict.ShowSection("CAN_CLOSE");
  }
  std::string out;
  ctemplate::ExpandTemplate(path("signaal.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::Person(const v1::ConsolePerson& person,
                          const Session& session,
                          const PersonView& view) const {
  ctemplate::TemplateDictionary dict("persoon");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Persoon");
  std::vector<std::string> partners;
  for (const v1::WorkItem& item : view.items) {
    ctemplate::TemplateDictionary* row = dict.AddSectionDictionary("ITEM");
    row->SetValue("RECEIVED", When(item.received_at()));
    row->SetValue("SOURCE", item.source_partner());
    row->SetValue("CATEGORY", CategoryWord(item.category()));
    row->SetValue("URGENCY", UrgencyWord(item.urgency()));
    row->SetValue("URGENCY_CLASS",
                  item.urgency() == v1::URGENCY_ACUTE ? "acuut" : "");
    row->SetValue("STATE", StateWord(item.triage().state()));
    row->SetValue("SIGNAL", item.signal_id());
    if (item.signal_state() == v1::SIGNAL_STATE_WITHDRAWN)
      row->ShowSection("WITHDRAWN");
    if (item.signal_id() == view.signal_id) row->ShowSection("VIA");
    // A partner's first signal after another partner's: where the match
    // arose.
    if (std::find(partners.begin(), partners.end(), item.source_partner()) ==
        partners.end()) {
      if (!partners.empty()) row->ShowSection("MATCH");
      partners.push_back(item.source_partner());
    }
  }
  for (const v1::WorkItem& item : view.items) {
    for (const v1::PossibleMatch& match : item.possible_matches()) {
      ctemplate::TemplateDictionary* possible =
          dict.AddSectionDictionary("POSSIBLE");
      possible->SetValue("SIGNAL", item.signal_id());
      possible->SetValue("SOURCE", item.source_partner());
      possible->SetValue("OTHER", match.signal_id());
      possible->SetValue("OTHER_SOURCE", match.source_partner());
      possible->SetValue("KINDS", SharedKinds(match));
    }
  }
  if (view.notice == "bevestigd") {
    dict.SetValueAndShowSection(
        "NOTICE",
        "Bevestigd: de signalen gaan nu over één persoon; een later signaal "
        "over deze persoon matcht met allemaal.",
        "HAS_NOTICE");
  } else if (view.notice == "afgewezen") {
    dict.SetValueAndShowSection(
        "NOTICE", "Afgewezen: de signalen blijven over verschillende personen.",
        "HAS_NOTICE");
  }
  dict.SetIntValue("COUNT", static_cast<int>(view.items.size()));
  dict.SetIntValue("PARTNER_COUNT", static_cast<int>(partners.size()));
  if (partners.size() > 1) {
    dict.SetValueAndShowSection("PARTNER_LIST", absl::StrJoin(partners, ", "),
                                "MATCHED");
  }
  if (!view.items.empty()) {
    dict.SetValue("FIRST", When(view.items.front().received_at()));
    dict.SetValue("LAST", When(view.items.back().received_at()));
  }
  std::string out;
  ctemplate::ExpandTemplate(path("persoon.tpl"), ctemplate::STRIP_WHITESPACE,
                            &dict, &out);
  return out;
}

std::string Pages::PossibleMatch(const v1::ConsolePerson& person,
                                 const Session& session,
                                 const PossibleMatchView& view) const {
  ctemplate::TemplateDictionary dict("mogelijke-match");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Mogelijke match");
  dict.SetValue("SIGNAL", view.signal.signal_id());
  dict.SetValue("OTHER", view.other.signal_id());
  dict.SetValue("CSRF", session.csrf_token);
  Side(*dict.AddSectionDictionary("SIDE"), view.signal);
  Side(*dict.AddSectionDictionary("SIDE"), view.other);
  if (view.notice == "geweigerd") {
    dict.SetValueAndShowSection(
        "NOTICE",
        absl::StrCat("De hub weigerde dit. ",
                     view.field == "confirm"
                         ? "Beide signalen noemen een persoon met BSN of naam, "
                           "en niet dezelfde: dat zijn twee personen (of een "
                           "van de BSN's klopt niet; dat herstelt de bron)."
                         : RefusedField(view.field)),
        "HAS_NOTICE");
  }
  std::string out;
  ctemplate::ExpandTemplate(path("mogelijke-match.tpl"),
                            ctemplate::STRIP_WHITESPACE, &dict, &out);
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

std::string Pages::Figures(const v1::ConsolePerson& person,
                           const Session& session,
                           const FiguresView& view) const {
  ctemplate::TemplateDictionary dict("cijfers");
  Header(dict, person, session);
  dict.SetValue("TITLE", "Cijfers");
  const FiguresForm& form = view.form;
  dict.SetValue("FROM", form.from);
  dict.SetValue("TO", form.to);
  for (size_t i = 0; i < std::size(kPeriods); ++i) {
    ctemplate::TemplateDictionary* option =
        dict.AddSectionDictionary("PERIOD_OPTION");
    option->SetValue("VALUE", kPeriods[i].first);
    option->SetValue("LABEL", kPeriodLabels[i]);
    if (form.period == kPeriods[i].first) option->ShowSection("SELECTED");
  }
  std::string by_word = "categorie";
  for (size_t i = 0; i < std::size(kDimensions); ++i) {
    ctemplate::TemplateDictionary* option =
        dict.AddSectionDictionary("BY_OPTION");
    option->SetValue("VALUE", kDimensions[i].first);
    option->SetValue("LABEL", kDimensionLabels[i]);
    if (form.by == kDimensions[i].first) {
      option->ShowSection("SELECTED");
      by_word = kDimensionLabels[i];
    }
  }
  uint32_t threshold = 5;
  if (!view.error.empty())
    dict.SetValueAndShowSection("ERROR", view.error, "HAS_ERROR");
  if (view.figures.has_value()) {
    const v1::FiguresResponse& figures = *view.figures;
    threshold = figures.threshold();
    ctemplate::TemplateDictionary* shown = dict.AddSectionDictionary("FIGURES");
    shown->SetValue("BY_WORD", by_word);
    shown->SetValue("QUERY",
                    absl::StrCat("van=", form.from, "&tot=", form.to,
                                 "&periode=", form.period, "&per=", form.by));
    // Bars: the signals per value over the whole range, and the decisions
    // per outcome in the grand total.
    std::vector<std::pair<std::string, v1::Figure>> bars, outcome_bars;
    for (const v1::FigureRow& row : figures.rows()) {
      if (!row.period().empty() || row.keys_size() != 1) continue;
      const v1::Dimension dimension = static_cast<v1::Dimension>(figures.by(0));
      if (row.keys(0).empty()) {
        for (const v1::OutcomeFigure& o : row.decisions())
          outcome_bars.emplace_back(OutcomeWord(o.outcome()), o.figure());
      } else {
        bars.emplace_back(KeyWord(dimension, row.keys(0)), row.signals());
      }
    }
    shown->SetIntValue("CHART_HEIGHT", Bars(*shown, "BAR", bars, threshold));
    if (!outcome_bars.empty()) {
      shown->ShowSection("HAS_OUTCOMES");
      shown->SetIntValue("OUTCOME_HEIGHT",
                         Bars(*shown, "OUTCOME_BAR", outcome_bars, threshold));
    }
    const std::vector<std::vector<std::string>> table =
        FiguresTable(figures, DutchWords());
    for (const std::string& text : table.front())
      shown->AddSectionDictionary("HEAD")->SetValue("TEXT", text);
    for (size_t r = 1; r < table.size(); ++r) {
      ctemplate::TemplateDictionary* row = shown->AddSectionDictionary("ROW");
      const size_t keys = static_cast<size_t>(figures.by_size()) +
                          (figures.period() != v1::PERIOD_UNSPECIFIED);
      if (std::find(table[r].begin(), table[r].begin() + keys, "totaal") !=
          table[r].begin() + keys)
        row->ShowSection("TOTAL");
      for (const std::string& text : table[r])
        row->AddSectionDictionary("CELL")->SetValue("TEXT", text);
    }
    shown->SetValue("FROM", form.from);
    shown->SetValue("TO", form.to);
  }
  dict.SetIntValue("THRESHOLD", static_cast<int>(threshold));
  dict.SetIntValue("THRESHOLD_MINUS", static_cast<int>(threshold) - 1);
  std::string out;
  ctemplate::ExpandTemplate(path("cijfers.tpl"), ctemplate::STRIP_WHITESPACE,
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
