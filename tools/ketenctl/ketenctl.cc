// ketenctl: the KetenHub command line for partners, the chain director and
// operators. Plain sentences by default, --json for scripts.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/chain_director_client.h"
#include "client/signal_client.h"
#include "grpc/support/log.h"
#include "grpcpp/channel.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "server/common/text_proto.h"
#include "server/policy/access_policy.h"
#include "tools/ketenctl/json_input.h"
#include "tools/ketenctl/ketenctl_admin.h"
#include "tools/ketenctl/ketenctl_audit.h"
#include "tools/ketenctl/ketenctl_common.h"
#include "tools/ketenctl/ketenctl_docs.h"
#include "tools/ketenctl/ketenctl_report.h"
#include "tools/ketenctl/ketenctl_request.h"
#include "tools/ketenctl/ketenctl_worklist.h"

namespace ketenhub {
namespace {

// ---- partner commands ------------------------------------------------------

// The signals in `files`: a whole file is one signal; a file ending in
// ".jsonl" holds one per line (blank lines skipped). Each comes with where it
// was read from, for messages. With `batch`, a file that is no signal says
// that many signals go in a .jsonl file.
std::vector<std::pair<std::string, absl::StatusOr<v1::Signal>>> ReadSignals(
    const std::vector<std::string>& files, bool batch) {
  std::vector<std::pair<std::string, absl::StatusOr<v1::Signal>>> signals;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    if (!text.ok()) {
      signals.emplace_back(file, text.status());
      continue;
    }
    if (!absl::EndsWith(file, ".jsonl")) {
      absl::StatusOr<v1::Signal> signal = SignalFromJson(*text, file);
      if (!signal.ok() && batch) {
        signal = absl::InvalidArgumentError(absl::StrCat(
            signal.status().message(),
            "\nhint: a file of many signals is JSON Lines, one signal per "
            "line, in a file whose name ends in .jsonl"));
      }
      signals.emplace_back(file, std::move(signal));
      continue;
    }
    int number = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++number;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      const std::string source = absl::StrCat(file, ":", number);
      signals.emplace_back(source, SignalFromJson(line, source));
    }
  }
  return signals;
}

void PrintReceipt(const GlobalFlags& flags, const v1::Receipt& receipt) {
  if (flags.json) {
    std::cout << ToJson(receipt) << "\n";
    return;
  }
  std::cout << "Signal " << receipt.client_ref() << " is stored by the hub as "
            << receipt.signal_id() << " (sequence " << receipt.sequence()
            << ", received " << FormatTimestamp(receipt.received_at())
            << ").\n";
}

// Submits the signals of `files`, one call each, or with `batch` all over
// SubmitBatch streams (many per fsync), with progress on stderr.
int Submit(const GlobalFlags& flags, const std::vector<std::string>& files,
           bool batch) {
  auto client = ConnectAs<SignalClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  std::vector<std::pair<std::string, absl::StatusOr<v1::Signal>>> signals =
      ReadSignals(files, batch);
  std::vector<absl::StatusOr<v1::Receipt>> receipts(
      signals.size(), absl::UnknownError("not sent"));
  int failures = 0;
  auto print = [&](size_t i) {
    if (receipts[i].ok()) {
      PrintReceipt(flags, *receipts[i]);
      return;
    }
    ++failures;
    // A signal that could not be read says where itself; a refusal by the
    // hub gets its file (and line) here, in the same place.
    const absl::Status& refused = receipts[i].status();
    Report(
        signals.size() > 1 && signals[i].second.ok()
            ? absl::Status(refused.code(), absl::StrCat(signals[i].first, ": ",
                                                        refused.message()))
            : refused,
        flags);
  };
  std::vector<v1::Signal> to_send;
  std::vector<size_t> sent_from;
  for (size_t i = 0; i < signals.size(); ++i) {
    if (!signals[i].second.ok()) {
      receipts[i] = signals[i].second.status();
    } else if (batch) {
      to_send.push_back(*signals[i].second);
      sent_from.push_back(i);
      continue;
    } else {
      receipts[i] = (*client)->Submit(*signals[i].second);
    }
    if (!batch) print(i);
  }
  if (batch && !to_send.empty()) {
    absl::Time last_report = absl::Now();
    std::vector<absl::StatusOr<v1::Receipt>> results = (*client)->SubmitBatch(
        std::move(to_send), [&](size_t answered, size_t total) {
          if (flags.json || (answered != total &&
                             absl::Now() - last_report < absl::Seconds(1))) {
            return;
          }
          last_report = absl::Now();
          std::cerr << "ketenctl: " << answered << " of " << total
                    << " signals answered\n";
        });
    for (size_t k = 0; k < results.size(); ++k) {
      receipts[sent_from[k]] = std::move(results[k]);
    }
  }
  if (batch) {
    for (size_t i = 0; i < signals.size(); ++i) print(i);
  }
  if (signals.size() > 1 && !flags.json) {
    std::cout << signals.size() - failures << " of " << signals.size()
              << " signals submitted.\n";
  }
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

// The state lines of `status` as the partner guide words them: destroyed
// (when, under which rule) before anything else, then the decision or
// state, then archived and when retention destroys it.
void PrintState(const v1::SignalStatus& status) {
  if (status.state() == v1::SIGNAL_STATE_DESTROYED) {
    std::cout << "State: destroyed " << FormatTimestamp(status.destroyed_at())
              << " under the rule \"" << status.destruction_rule()
              << "\"; its content and key are gone (this is the deletion "
                 "receipt).\n";
    return;
  }
  if (status.state() == v1::SIGNAL_STATE_DECIDED) {
    // Each receiver's decision in force (the chain director's, the care
    // coordinator's), in the order they were last decided.
    std::vector<const v1::Decision*> current;
    for (const v1::Decision& decision : status.decisions()) {
      auto same = std::find_if(current.begin(), current.end(),
                               [&](const v1::Decision* seen) {
                                 return seen->receiver() == decision.receiver();
                               });
      if (same != current.end()) current.erase(same);
      current.push_back(&decision);
    }
    if (current.empty()) current.push_back(&status.decision());
    for (const v1::Decision* decision : current)
      std::cout << "Decision: " << DecisionText(*decision) << "\n";
    if (status.decisions_size() > 1) {
      std::cout << "Decision history (oldest first):\n";
      for (const v1::Decision& decision : status.decisions())
        std::cout << "  " << DecisionText(decision) << "\n";
    }
  } else if (status.state() == v1::SIGNAL_STATE_WITHDRAWN) {
    std::cout << "State: withdrawn.\n";
  } else if (!status.routed()) {
    std::cout << "State: stored; no route delivers this category to a "
                 "receiver.\n";
  } else {
    std::cout << "State: received, awaiting the receivers' decisions.\n";
  }
  if (status.archived()) {
    std::cout << "Archived: past its match window, no longer matched with "
                 "new signals; the chain director can still open it.\n";
  }
  if (status.has_destroy_after()) {
    std::cout << "Destroyed after: " << FormatTimestamp(status.destroy_after())
              << " (retention).\n";
  }
}

int Status(const GlobalFlags& flags, const std::string& signal_id) {
  auto client = ConnectAs<SignalClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  absl::StatusOr<v1::SignalStatus> status = (*client)->GetStatus(signal_id);
  if (!status.ok()) return Report(status.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*status) << "\n";
    return EXIT_SUCCESS;
  }
  std::cout << "Signal " << status->signal_id() << " (your reference "
            << status->client_ref() << "): "
            << Readable(v1::Category_Name(status->category()), "CATEGORY_")
            << ", " << Readable(v1::Urgency_Name(status->urgency()), "URGENCY_")
            << " urgency, received " << FormatTimestamp(status->received_at())
            << ".\n";
  PrintState(*status);
  if (status->disclosures_size() > 0) {
    std::cout << "Disclosed to (oldest first):\n";
    for (const v1::SignalDisclosure& d : status->disclosures()) {
      std::cout << "  " << FormatTimestamp(d.at()) << "  " << d.partner_id()
                << " (" << Readable(d.role(), "ROLE_") << ")  "
                << (d.operation() == "deliver"      ? "delivered"
                    : d.operation() == "get_signal" ? "opened"
                                                    : "released")
                << (d.kind() != v1::DATA_KIND_UNSPECIFIED
                        ? " " + Readable(v1::DataKind_Name(d.kind()),
                                         "DATA_KIND_")
                        : "")
                << "  under: " << d.legal_basis();
      if (!d.on_behalf_of().empty())
        std::cout << "  on behalf of " << d.on_behalf_of();
      std::cout << "\n";
    }
  }
  return EXIT_SUCCESS;
}

int Withdraw(const GlobalFlags& flags, const std::string& signal_id,
             const std::string& reason) {
  auto client = ConnectAs<SignalClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  absl::StatusOr<v1::SignalStatus> status =
      (*client)->Withdraw(signal_id, reason);
  if (!status.ok()) return Report(status.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*status) << "\n";
  } else {
    std::cout << "Signal " << signal_id
              << " is withdrawn; the chain director is told.\n";
  }
  return EXIT_SUCCESS;
}

// ---- chain director commands
// -------------------------------------------------

// A weak identifier as the partner gave it, for the chain director.
std::string IdentifierText(const v1::Identifier& identifier) {
  switch (identifier.value_case()) {
    case v1::Identifier::kPhone:
      return absl::StrCat("phone ", identifier.phone());
    case v1::Identifier::kEmail:
      return absl::StrCat("e-mail ", identifier.email());
    case v1::Identifier::kAddress:
      return absl::StrCat("address ", identifier.address().postcode(), " ",
                          identifier.address().house_number(),
                          identifier.address().addition().empty() ? "" : " ",
                          identifier.address().addition());
    case v1::Identifier::kAlias:
      return absl::StrCat("alias ", identifier.alias());
    case v1::Identifier::kAdvert:
      return identifier.advert().url().empty()
                 ? absl::StrCat("advert ", identifier.advert().site(), " #",
                                identifier.advert().advert_id())
                 : absl::StrCat("advert ", identifier.advert().url());
    case v1::Identifier::VALUE_NOT_SET:
      break;
  }
  return "(empty)";
}

std::string EventLine(const v1::Event& event) {
  std::string line = absl::StrCat("#", event.cursor(), "  ",
                                  FormatTimestamp(event.time()), "  ");
  if (event.has_signal_received()) {
    const v1::ReleasedSignal& s = event.signal_received();
    absl::StrAppend(&line, "SIGNAL     ", s.source_partner(), ", ",
                    Readable(v1::Category_Name(s.category()), "CATEGORY_"),
                    ", ", Readable(v1::Urgency_Name(s.urgency()), "URGENCY_"),
                    ", ", s.municipality(), "  id ", s.signal_id());
  } else if (event.has_match_found()) {
    std::vector<std::string> parts;
    for (const v1::MatchedSignal& m : event.match_found().signals()) {
      parts.push_back(
          absl::StrCat(m.source_partner(), " (",
                       Readable(v1::Category_Name(m.category()), "CATEGORY_"),
                       ") ", m.signal_id()));
    }
    if (event.match_found().possible()) {
      std::vector<std::string> kinds;
      for (int kind : event.match_found().shared_kinds()) {
        kinds.push_back(Readable(
            v1::IdentifierKind_Name(static_cast<v1::IdentifierKind>(kind)),
            "IDENTIFIER_KIND_"));
      }
      absl::StrAppend(
          &line, "POSSIBLE   match, shared ", absl::StrJoin(kinds, ", "),
          " (not certain; confirm or dismiss): ", absl::StrJoin(parts, "; "));
    } else {
      absl::StrAppend(&line, "MATCH      same person signalled by: ",
                      absl::StrJoin(parts, "; "));
    }
  } else if (event.has_signal_withdrawn()) {
    const v1::SignalWithdrawn& w = event.signal_withdrawn();
    absl::StrAppend(&line, "WITHDRAWN  ", w.source_partner(), "  id ",
                    w.signal_id(), ": ", w.reason());
  } else if (event.has_signal_expired()) {
    absl::StrAppend(&line, "EXPIRED    id ",
                    event.signal_expired().signal_id());
  }
  return line;
}

int Watch(const GlobalFlags& flags, std::optional<uint64_t> from, int count) {
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  int seen = 0;
  if (!flags.json)
    std::cerr << "Watching " << flags.hub << " (Ctrl-C stops)...\n";
  absl::Status status = (*client)->Watch(
      [&](const v1::Event& event) {
        std::cout << (flags.json ? ToJson(event) : EventLine(event))
                  << std::endl;
        if (count > 0 && ++seen >= count) (*client)->Cancel();
        return true;
      },
      from);
  return status.ok() ? EXIT_SUCCESS : Report(status, flags);
}

void PrintReleased(const v1::ReleasedSignal& s) {
  std::cout << "Signal " << s.signal_id() << " from " << s.source_partner()
            << ", received " << FormatTimestamp(s.received_at()) << "\n"
            << "  " << Readable(v1::Category_Name(s.category()), "CATEGORY_")
            << ", " << Readable(v1::Urgency_Name(s.urgency()), "URGENCY_")
            << " urgency, " << s.municipality() << ", observed "
            << FormatTimestamp(s.observed_at()) << "\n";
  if (s.subject().has_person()) {
    std::cout << "  Person: " << s.subject().person().name() << ", born "
              << s.subject().person().date_of_birth() << "\n";
  } else if (!s.subject().bsn().empty()) {
    std::cout << "  BSN: " << s.subject().bsn() << "\n";
  } else {
    std::cout << "  Person: not known (identifiers only)\n";
  }
  for (const v1::Identifier& identifier : s.subject().identifiers())
    std::cout << "  Identifier: " << IdentifierText(identifier) << "\n";
  std::cout << "  Summary: " << s.summary() << "\n";
  for (const v1::ReleasedSection& section : s.sections()) {
    std::cout << "  ["
              << Readable(v1::DataKind_Name(section.kind()), "DATA_KIND_")
              << "] ";
    switch (section.disclosure()) {
      case v1::DISCLOSURE_RELEASED:
        std::cout << "released: " << section.title() << ": " << section.text()
                  << (section.no_onward_sharing() ? "  (no onward sharing)"
                                                  : "")
                  << "\n";
        if (section.has_release()) {
          const v1::SectionRelease& how = section.release();
          std::cout << "      released " << FormatTimestamp(how.released_at())
                    << " by "
                    << (how.released_by().empty()
                            ? std::string("the access rules")
                            : how.released_by() +
                                  (how.released_by_role().empty()
                                       ? ""
                                       : " (" + how.released_by_role() + ")"))
                    << ", basis: " << how.legal_basis()
                    << (how.on_behalf_of().empty()
                            ? ""
                            : ", on behalf of " + how.on_behalf_of())
                    << "\n";
        }
        break;
      case v1::DISCLOSURE_WITHHELD_RELEASABLE:
        std::cout << "withheld, release possible: ketenctl release "
                  << s.signal_id() << " --kind "
                  << Readable(v1::DataKind_Name(section.kind()), "DATA_KIND_")
                  << " --legal-basis TEXT discloses it\n";
        break;
      default:
        std::cout << "withheld, never: this route never discloses it\n";
    }
  }
  std::cout << "  Legal basis: " << s.legal_basis() << "\n"
            << "  Contact: " << s.contact().name()
            << (s.contact().role().empty() ? "" : ", " + s.contact().role())
            << ", "
            << (s.contact().phone().empty() ? s.contact().email()
                                            : s.contact().phone())
            << "\n";
  std::cout << "  Worklist: " << TriageText(s.triage()) << "\n";
  for (const v1::MatchJudgement& judged : s.match_judgements()) {
    std::cout << "  Possible match with " << judged.other_signal_id() << ": "
              << (judged.confirmed() ? "confirmed, one person"
                                     : "dismissed, not one person")
              << " (by " << judged.judged_by() << ", "
              << FormatTimestamp(judged.judged_at()) << "): " << judged.reason()
              << "\n";
  }
  if (s.state() == v1::SIGNAL_STATE_DECIDED) {
    for (const v1::Decision& earlier : s.earlier_decisions())
      std::cout << "  Earlier decision: " << DecisionText(earlier) << "\n";
    std::cout << "  Decision: " << DecisionText(s.decision()) << "\n";
  } else if (s.state() == v1::SIGNAL_STATE_WITHDRAWN) {
    std::cout << "  Withdrawn by its source.\n";
  }
}

int ShowReleased(const GlobalFlags& flags,
                 const absl::StatusOr<v1::ReleasedSignal>& signal) {
  if (!signal.ok()) return Report(signal.status(), flags);
  if (flags.json) {
    std::cout << ToJson(*signal) << "\n";
  } else {
    PrintReleased(*signal);
  }
  return EXIT_SUCCESS;
}

int Get(const GlobalFlags& flags, const std::string& signal_id) {
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  return ShowReleased(flags, (*client)->GetSignal(signal_id));
}

int Release(const GlobalFlags& flags, const std::string& signal_id,
            const std::string& kind, const std::string& legal_basis,
            const std::string& on_behalf_of) {
  v1::DataKind parsed;
  if (!ParseReadable(kind, "DATA_KIND_", &v1::DataKind_Parse, &parsed)) {
    return Report(absl::InvalidArgumentError(
                      "--kind: general, health, criminal or police"),
                  flags);
  }
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  v1::ReleaseRequest request;
  request.set_signal_id(signal_id);
  request.set_kind(parsed);
  request.set_legal_basis(legal_basis);
  request.set_on_behalf_of(on_behalf_of);
  return ShowReleased(flags, (*client)->Release(request));
}

int Decide(const GlobalFlags& flags, const std::string& signal_id,
           const std::string& outcome, const std::string& reason,
           const std::string& handed_to, const std::string& referred_to,
           const std::string& on_behalf_of, const std::string& change_reason) {
  v1::Outcome parsed;
  if (!ParseReadable(outcome, "OUTCOME_", &v1::Outcome_Parse, &parsed)) {
    return Report(absl::InvalidArgumentError(
                      "--outcome: case-meeting, handed-to-partner, "
                      "advice-given or no-action; a care coordinator: "
                      "victim-reached, referred-to-shelter, "
                      "referred-to-care, help-declined or not-reachable"),
                  flags);
  }
  auto client = ConnectAs<ChainDirectorClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  v1::DecideRequest request;
  request.set_signal_id(signal_id);
  request.set_outcome(parsed);
  request.set_reason(reason);
  request.set_handed_to(handed_to);
  request.set_referred_to(referred_to);
  request.set_on_behalf_of(on_behalf_of);
  request.set_change_reason(change_reason);
  return ShowReleased(flags, (*client)->Decide(request));
}

// ---- operator commands
// ---------------------------------------------------------

int PolicyCheck(const GlobalFlags& flags, const std::string& file) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(file);
  if (!policy.ok()) {
    std::cerr << "ketenctl: " << policy.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const v1::Policy& p = (*policy)->policy();
  if (flags.json) {
    std::cout << "{\"valid\":true,\"partners\":" << p.partners_size()
              << ",\"routes\":" << p.routes_size() << ",\"version\":\""
              << (*policy)->version() << "\"}\n";
  } else {
    std::cout << "Policy " << file << " is valid: " << p.partners_size()
              << " partners, " << p.routes_size() << " routes, version "
              << (*policy)->version() << ".\n";
  }
  return EXIT_SUCCESS;
}

std::unique_ptr<v1::AdminService::Stub> AdminStub(const GlobalFlags& flags,
                                                  absl::Status& error) {
  absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      options.ok()
          ? MakeHubChannel(*options)
          : absl::StatusOr<std::shared_ptr<grpc::Channel>>(options.status());
  error = channel.status();
  return channel.ok() ? v1::AdminService::NewStub(*channel) : nullptr;
}

int ReloadPolicy(const GlobalFlags& flags) {
  absl::Status error;
  auto stub = AdminStub(flags, error);
  if (!stub) return Report(error, flags);
  v1::ReloadPolicyResponse response;
  absl::Status status =
      CallWithRetries(*OptionsFrom(flags), [&](grpc::ClientContext* context) {
        return stub->ReloadPolicy(context, v1::ReloadPolicyRequest(),
                                  &response);
      });
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << "The hub now runs policy version " << response.policy_version()
              << ".\n";
  }
  return EXIT_SUCCESS;
}

int ListUnrouted(const GlobalFlags& flags) {
  absl::Status error;
  auto stub = AdminStub(flags, error);
  if (!stub) return Report(error, flags);
  v1::ListUnroutedRequest request;
  int total = 0;
  for (;;) {
    v1::ListUnroutedResponse page;
    absl::Status status =
        CallWithRetries(*OptionsFrom(flags), [&](grpc::ClientContext* context) {
          return stub->ListUnrouted(context, request, &page);
        });
    if (!status.ok()) return Report(status, flags);
    for (const v1::UnroutedSignal& s : page.signals()) {
      if (flags.json) {
        std::cout << ToJson(s) << "\n";
      } else {
        std::cout << s.signal_id() << "  " << s.source_partner() << "  "
                  << Readable(v1::Category_Name(s.category()), "CATEGORY_")
                  << "  " << FormatTimestamp(s.received_at()) << "\n";
      }
      request.set_after_sequence(s.sequence());
    }
    total += page.signals_size();
    if (page.signals_size() == 0) break;
  }
  if (!flags.json) std::cout << total << " signals without a route.\n";
  return EXIT_SUCCESS;
}

// "HOST:PORT", or why not, for --hub.
std::string CheckHubAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return "give HOST:PORT, e.g. 127.0.0.1:50051 (the port is required)";
  }
  return "";
}

// A number of seconds above 0, or why not, for --timeout.
std::string CheckTimeout(const std::string& text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds > 0)) {
    return "give the seconds per attempt, a number above 0";
  }
  return "";
}

// A command line ketenctl does not understand: says what and how to get
// help, with the nearest command for a mistyped one; exit code 1. Help
// itself (--help) exits 0.
int UsageError(CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error);
  }
  std::string unknown;
  for (const std::string& word : app.remaining(/*recurse=*/true)) {
    if (!absl::StartsWith(word, "-")) {
      unknown = word;
      break;
    }
  }
  const std::string nearest =
      unknown.empty() ? "" : NearestCommand(app, unknown);
  if (!nearest.empty()) {
    std::cerr << "ketenctl: '" << unknown
              << "' is not a ketenctl command; did you mean '" << nearest
              << "'?\n";
  } else {
    std::cerr << "ketenctl: " << error.what() << "\n";
  }
  std::cerr << "Run 'ketenctl --help' (or COMMAND --help) for what ketenctl "
               "understands.\n";
  return EXIT_FAILURE;
}

}  // namespace
}  // namespace ketenhub

int main(int argc, char** argv) {
  using ketenhub::GlobalFlags;
  CLI::App app{
      "ketenctl: talk to a KetenHub (signals, the chain director's stream, "
      "policy, the audit trail)"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags such as --json work after the subcommand
                      // too
  GlobalFlags flags;
  app.add_option("--hub", flags.hub, "hub address host:port")
      ->capture_default_str()
      ->check(CLI::Validator(ketenhub::CheckHubAddress, "HOST:PORT"));
  app.add_option("--as", flags.as,
                 "dev identity: use PKI-DIR/NAME.pem, NAME-key.pem and ca.pem");
  app.add_option("--pki-dir", flags.pki_dir, "folder of the dev PKI")
      ->capture_default_str()
      ->envname("KETENHUB_DEV_PKI");
  app.add_option("--cert", flags.cert,
                 "client certificate (PEM) holding your OIN");
  app.add_option("--key", flags.key,
                 "private key of the client certificate (PEM)");
  app.add_option("--ca", flags.ca, "CA certificate that signed the hub (PEM)");
  app.add_option("--timeout", flags.timeout_seconds, "seconds per attempt")
      ->capture_default_str()
      ->check(CLI::Validator(ketenhub::CheckTimeout, "SECONDS"));
  app.add_flag("--json", flags.json, "print JSON for scripts");
  app.add_option("--user", flags.user,
                 "who you are: your employee id in your organisation (never a "
                 "BSN); required for the chain director's, auditors' and "
                 "operators' calls")
      ->envname("KETEN_USER");
  app.add_option("--user-role", flags.user_role,
                 "your function, e.g. procesregisseur (with --user)")
      ->envname("KETEN_USER_ROLE");
  app.add_option("--user-name", flags.user_name, "your name (optional)")
      ->envname("KETEN_USER_NAME");

  std::vector<std::string> files;
  CLI::App* submit =
      app.add_subcommand("submit", "submit signals from JSON files (partners)");
  bool batch = false;
  submit
      ->add_option("files", files,
                   "signal files (protobuf JSON mapping); a .jsonl file holds "
                   "one signal per line")
      ->required()
      ->check(CLI::ExistingFile);
  submit->add_flag("--batch", batch,
                   "send all signals over one SubmitBatch stream (backfills: "
                   "many per fsync, each answered on its own)");
  std::string signal_id, reason, kind, legal_basis, outcome, handed_to;
  std::string referred_to, on_behalf_of, change_reason;
  CLI::App* status =
      app.add_subcommand("status", "show one of your signals and its decision");
  status->add_option("signal_id", signal_id, "id from the receipt")->required();
  CLI::App* withdraw =
      app.add_subcommand("withdraw", "withdraw one of your signals");
  withdraw->add_option("signal_id", signal_id, "id from the receipt")
      ->required();
  withdraw->add_option("--reason", reason, "why (no personal data)")
      ->required();

  std::optional<uint64_t> from;
  int count = 0;
  CLI::App* watch =
      app.add_subcommand("watch", "follow a receiver's event stream");
  watch->add_option("--from", from,
                    "start after this cursor (default: after your last ack)");
  watch->add_option("--count", count, "stop after this many events");
  CLI::App* get =
      app.add_subcommand("get", "show a signal as the access rules release it");
  get->add_option("signal_id", signal_id, "signal id")->required();
  CLI::App* release =
      app.add_subcommand("release", "disclose a withheld section (two-stage)");
  release->add_option("signal_id", signal_id, "signal id")->required();
  const std::vector<std::string> kinds = ketenhub::OptionChoices(
      ketenhub::v1::DataKind_descriptor(), "DATA_KIND_");
  const std::vector<std::string> outcomes =
      ketenhub::OptionChoices(ketenhub::v1::Outcome_descriptor(), "OUTCOME_");
  release
      ->add_option("--kind", kind,
                   absl::StrCat("the data kind: ", absl::StrJoin(kinds, ", ")))
      ->required()
      ->check(CLI::IsMember(kinds, CLI::ignore_case));
  release
      ->add_option("--legal-basis", legal_basis,
                   "why this disclosure is lawful")
      ->required();
  CLI::App* decide = app.add_subcommand(
      "decide", "record a triage or care decision for the source");
  decide->add_option("signal_id", signal_id, "signal id")->required();
  decide
      ->add_option("--outcome", outcome,
                   absl::StrCat("the outcome: ", absl::StrJoin(outcomes, ", "),
                                " (the last five are care outcomes, for a "
                                "care coordinator)"))
      ->required()
      ->check(CLI::IsMember(outcomes, CLI::ignore_case))
      ->type_name("OUTCOME");
  decide->add_option("--reason", reason, "the reason, for the source partner")
      ->required();
  decide->add_option("--handed-to", handed_to,
                     "partner id, with handed-to-partner");
  decide->add_option("--referred-to", referred_to,
                     "the shelter or care provider (an organisation), with "
                     "referred-to-shelter and referred-to-care");
  decide->add_option("--change-reason", change_reason,
                     "why an earlier decision changes (required then)");
  for (CLI::App* command : {release, decide}) {
    command->add_option("--on-behalf-of", on_behalf_of,
                        "partner id on whose behalf (default: the source)");
  }

  CLI::App* policy = app.add_subcommand("policy", "work with access policies");
  policy->require_subcommand(1);
  std::string policy_file;
  CLI::App* check =
      policy->add_subcommand("check", "validate a policy file offline");
  check->add_option("file", policy_file, "policy (text-format protobuf)")
      ->required();
  CLI::App* admin = app.add_subcommand("admin", "operator commands");
  admin->require_subcommand(1);
  CLI::App* reload =
      admin->add_subcommand("reload-policy", "make the hub re-read its policy");
  CLI::App* unrouted =
      admin->add_subcommand("unrouted", "list signals no route delivers");

  ketenhub::WorklistCommands worklist;
  worklist.Register(app);
  ketenhub::AuditCommands audit;
  audit.Register(app);
  ketenhub::ReportCommand report;
  report.Register(app);
  ketenhub::RequestCommands requests;
  requests.Register(app);
  ketenhub::AdminCommands admin_commands;
  admin_commands.Register(*admin);

  CLI::App* man = app.add_subcommand(
      "man", "print ketenctl's manual page (roff; view with man -l -)");
  std::string shell = "bash";
  CLI::App* completion = app.add_subcommand(
      "completion",
      "print a shell completion script: source <(ketenctl completion bash)");
  completion->add_option("shell", shell, "the shell (bash)")
      ->check(CLI::IsMember({"bash"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ketenhub::UsageError(app, error);
  }
  if (*man) {
    std::cout << ketenhub::ManPage(app);
    return EXIT_SUCCESS;
  }
  if (*completion) {
    std::cout << ketenhub::BashCompletion(
        app, {{"--kind", kinds}, {"--outcome", outcomes}}, argv[0]);
    return EXIT_SUCCESS;
  }
  // ketenctl reports failures itself, in plain words; gRPC core stays quiet.
  gpr_set_log_function([](gpr_log_func_args*) {});
  if (*submit) return ketenhub::Submit(flags, files, batch);
  if (*status) return ketenhub::Status(flags, signal_id);
  if (*withdraw) return ketenhub::Withdraw(flags, signal_id, reason);
  if (*watch) return ketenhub::Watch(flags, from, count);
  if (*get) return ketenhub::Get(flags, signal_id);
  if (*release) {
    return ketenhub::Release(flags, signal_id, kind, legal_basis, on_behalf_of);
  }
  if (*decide) {
    return ketenhub::Decide(flags, signal_id, outcome, reason, handed_to,
                            referred_to, on_behalf_of, change_reason);
  }
  if (*check) return ketenhub::PolicyCheck(flags, policy_file);
  if (*reload) return ketenhub::ReloadPolicy(flags);
  if (*unrouted) return ketenhub::ListUnrouted(flags);
  if (std::optional<int> code = worklist.Run(flags)) return *code;
  if (std::optional<int> code = audit.Run(flags)) return *code;
  if (std::optional<int> code = report.Run(flags)) return *code;
  if (std::optional<int> code = requests.Run(flags)) return *code;
  if (std::optional<int> code = admin_commands.Run(flags)) return *code;
  return EXIT_FAILURE;
}
