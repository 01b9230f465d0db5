#include "tools/ketenctl/ketenctl_worklist.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/chain_director_client.h"

namespace ketenhub {
namespace {

// "in-triage" -> TRIAGE_STATE_IN_TRIAGE; likewise urgency and category.
template <typename Enum>
absl::Status ParseChoice(const std::string& text, absl::string_view flag,
                         absl::string_view prefix,
                         bool (*parse)(const std::string&, Enum*), Enum* out) {
  if (text.empty() || ParseReadable(text, prefix, parse, out))
    return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": one of ",
      absl::StrJoin(
          OptionChoices(google::protobuf::GetEnumDescriptor<Enum>(), prefix),
          ", ")));
}

std::string StateWord(v1::TriageState state) {
  return Readable(v1::TriageState_Name(state), "TRIAGE_STATE_");
}

void PrintItems(const v1::WorklistResponse& list) {
  if (list.items().empty()) {
    std::cout << "Nothing in the worklist"
              << (list.total() > 0 ? " on this page" : "") << ".\n";
    return;
  }
  // One number per person on this page: their signals share it.
  std::vector<std::string> groups;
  std::cout << absl::StrFormat("%-3s %-10s %-9s %-24s %-16s %-20s %-14s %s\n",
                               "#", "STATE", "URGENCY", "CATEGORY", "RECEIVED",
                               "FROM", "ASSIGNEE", "SIGNAL");
  for (const v1::WorkItem& item : list.items()) {
    if (groups.empty() || groups.back() != item.person_group())
      groups.push_back(item.person_group());
    std::string state = StateWord(item.triage().state());
    if (item.signal_state() == v1::SIGNAL_STATE_WITHDRAWN)
      absl::StrAppend(&state, "*");
    if (item.triage().has_hand_over()) absl::StrAppend(&state, "^");
    std::cout << absl::StrFormat(
        "%-3d %-10s %-9s %-24s %-16s %-20s %-14s %s\n", groups.size(), state,
        Readable(v1::Urgency_Name(item.urgency()), "URGENCY_"),
        Readable(v1::Category_Name(item.category()), "CATEGORY_"),
        FormatTimestamp(item.received_at()).substr(0, 16),
        item.source_partner(),
        item.triage().assignee().empty() ? "-" : item.triage().assignee(),
        item.signal_id());
  }
  std::cout << list.items_size() << " of " << list.total()
            << " signals. # numbers a person: the same number, the same "
               "person (ketenctl worklist --person-of SIGNAL lists theirs). "
               "* withdrawn by its source. ^ handed over between the chain "
               "director and the care coordinator (ketenctl get shows by "
               "whom and why).\n";
  if (!list.next_page_token().empty()) {
    std::cout << "More: ketenctl worklist --page-token "
              << list.next_page_token() << " (with the same filters)\n";
  }
}

}  // namespace

std::string TriageText(const v1::Triage& triage) {
  std::string text = StateWord(triage.state());
  if (!triage.assignee().empty())
    absl::StrAppend(&text, ", assigned to ", triage.assignee());
  if (!triage.changed_by().empty()) {
    absl::StrAppend(&text, " (by ", triage.changed_by(), ", ",
                    FormatTimestamp(triage.changed_at()), ")");
  }
  if (!triage.reason().empty()) absl::StrAppend(&text, ": ", triage.reason());
  if (triage.has_hand_over()) {
    const v1::HandOver& hand_over = triage.hand_over();
    absl::StrAppend(&text, "; handed over from ", hand_over.from(), " to ",
                    hand_over.to(), " by ", hand_over.by(), ", ",
                    FormatTimestamp(hand_over.at()));
  }
  return text;
}

void WorklistCommands::Register(CLI::App& app) {
  const std::vector<std::string> states =
      OptionChoices(v1::TriageState_descriptor(), "TRIAGE_STATE_");
  const std::vector<std::string> urgencies =
      OptionChoices(v1::Urgency_descriptor(), "URGENCY_");
  const std::vector<std::string> categories =
      OptionChoices(v1::Category_descriptor(), "CATEGORY_");
  list_ = app.add_subcommand(
      "worklist",
      "the signals your organisation must triage, most urgent first, each "
      "person's together (chain director, care coordinator)");
  list_
      ->add_option(
          "--state", state_,
          absl::StrCat("only this state: ", absl::StrJoin(states, ", "),
                       " (default: all but closed)"))
      ->check(CLI::IsMember(states, CLI::ignore_case));
  list_->add_option("--urgency", urgency_, absl::StrJoin(urgencies, ", "))
      ->check(CLI::IsMember(urgencies, CLI::ignore_case));
  list_->add_option("--category", category_, absl::StrJoin(categories, ", "));
  list_->add_option("--assignee", assignee_, "only those assigned to this id");
  list_->add_option("--person-of", person_of_,
                    "only the signals of this signal's person");
  list_->add_option("--page-size", page_size_, "items per page (50; max 500)");
  list_->add_option("--page-token", page_token_,
                    "the next page, as the previous one said");

  assign_ = app.add_subcommand(
      "assign", "put a signal in triage with a person, or hand it over");
  assign_->add_option("--to", to_, "the employee id of the person")->required();
  hand_over_ = app.add_subcommand(
      "hand-over",
      "hand a signal to the other receiver: the chain director to the care "
      "coordinator (zorgcoordinator), or back");
  hand_over_->add_option("--to", to_, "partner id of the other receiver")
      ->required();
  close_ = app.add_subcommand(
      "close", "close a decided signal: no further work (afschaling)");
  reopen_ = app.add_subcommand("reopen",
                               "reopen a closed signal into triage (yours)");
  for (CLI::App* command : {assign_, close_, reopen_, hand_over_})
    command->add_option("signal_id", signal_id_, "signal id")->required();
  confirm_ = app.add_subcommand(
      "confirm-match",
      "a possible match is one person: link the two signals (and the "
      "person's others) for later matching");
  dismiss_ = app.add_subcommand(
      "dismiss-match", "a possible match is not one person: link nothing");
  for (CLI::App* command : {confirm_, dismiss_}) {
    command->add_option("signal_id", signal_id_, "one signal")->required();
    command
        ->add_option("other_signal_id", other_signal_id_,
                     "the other signal of the possible match")
        ->required();
  }
  for (CLI::App* command : {close_, reopen_, hand_over_, confirm_, dismiss_}) {
    command->add_option("--reason", reason_, "why (no personal data)")
        ->required();
  }
}

int WorklistCommands::Judge(const GlobalFlags& flags, bool confirm) {
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  v1::JudgeMatchRequest request;
  request.set_signal_id(signal_id_);
  request.set_other_signal_id(other_signal_id_);
  request.set_confirm(confirm);
  request.set_reason(reason_);
  absl::StatusOr<v1::JudgeMatchResponse> judged =
      (*client)->JudgeMatch(request);
  if (!judged.ok()) return Report(judged.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*judged) << "\n";
  } else if (confirm) {
    std::cout << "Confirmed: one person, " << judged->linked_signal_ids_size()
              << " signals linked: "
              << absl::StrJoin(judged->linked_signal_ids(), ", ") << "\n";
  } else {
    std::cout << "Dismissed: nothing linked.\n";
  }
  return EXIT_SUCCESS;
}

std::optional<int> WorklistCommands::Run(const GlobalFlags& flags) {
  if (list_ != nullptr && *list_) return List(flags);
  for (CLI::App* command : {assign_, close_, reopen_, hand_over_}) {
    if (command != nullptr && *command) return Step(flags, command);
  }
  if (confirm_ != nullptr && *confirm_) return Judge(flags, true);
  if (dismiss_ != nullptr && *dismiss_) return Judge(flags, false);
  return std::nullopt;
}

int WorklistCommands::List(const GlobalFlags& flags) {
  v1::WorklistRequest request;
  v1::TriageState state = v1::TRIAGE_STATE_UNSPECIFIED;
  v1::Urgency urgency = v1::URGENCY_UNSPECIFIED;
  v1::Category category = v1::CATEGORY_UNSPECIFIED;
  absl::Status parsed = ParseChoice(state_, "--state", "TRIAGE_STATE_",
                                    &v1::TriageState_Parse, &state);
  if (parsed.ok()) {
    parsed = ParseChoice(urgency_, "--urgency", "URGENCY_", &v1::Urgency_Parse,
                         &urgency);
  }
  if (parsed.ok()) {
    parsed = ParseChoice(category_, "--category", "CATEGORY_",
                         &v1::Category_Parse, &category);
  }
  if (!parsed.ok()) return Report(parsed, flags);
  request.set_state(state);
  request.set_urgency(urgency);
  request.set_category(category);
  request.set_assignee(assignee_);
  request.set_person_of(person_of_);
  request.set_page_size(page_size_);
  request.set_page_token(page_token_);
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  absl::StatusOr<v1::WorklistResponse> list = (*client)->Worklist(request);
  if (!list.ok()) return Report(list.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*list) << "\n";
  } else {
    PrintItems(*list);
  }
  return EXIT_SUCCESS;
}

int WorklistCommands::Step(const GlobalFlags& flags, CLI::App* command) {
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  absl::StatusOr<v1::WorkItem> item =
      command == assign_      ? (*client)->Assign(signal_id_, to_)
      : command == close_     ? (*client)->Close(signal_id_, reason_)
      : command == hand_over_ ? (*client)->HandOver(signal_id_, to_, reason_)
                              : (*client)->Reopen(signal_id_, reason_);
  if (!item.ok()) return Report(item.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*item) << "\n";
  } else {
    std::cout << "Signal " << item->signal_id() << ": "
              << TriageText(item->triage()) << "\n";
  }
  return EXIT_SUCCESS;
}

}  // namespace ketenhub
