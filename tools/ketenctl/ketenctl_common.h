// Shared by ketenctl's command files: global flags, connecting, printing.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_COMMON_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_COMMON_H_

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/signal_client.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

struct GlobalFlags {
  std::string hub = "127.0.0.1:50051";
  std::string as;
  std::string pki_dir = "var/dev-pki";
  std::string cert, key, ca;
  bool json = false;
  double timeout_seconds = 10;
  std::string user, user_role, user_name;  // the person acting
};

// The connection options `flags` ask for (below).
inline absl::StatusOr<ClientOptions> OptionsFrom(const GlobalFlags& flags);

// Prints a refusal the way scripts and people both read it; returns the exit
// code.
inline int Report(const absl::Status& status, const GlobalFlags& flags) {
  std::cerr << "ketenctl: " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  if (absl::IsUnavailable(status)) {
    // Expiry and the key pair are checked before connecting; what is left
    // is the hub itself, or its trust in the certificate.
    absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
    std::cerr << "hint: is the hub running at " << flags.hub << "? If it is, "
              << "it did not accept your certificate"
              << (options.ok() ? " " + options->cert_file : std::string())
              << " (signed by a CA it does not trust, or revoked)\n";
  }
  return EXIT_FAILURE;
}

inline std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

inline std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z",
                          absl::FromUnixSeconds(ts.seconds()),
                          absl::LocalTimeZone());
}

// "CATEGORY_SEXUAL_EXPLOITATION" -> "sexual exploitation"; a name without
// `prefix` (or empty, as the role of the hub's own records) as it is, and
// "-" for nothing at all.
inline std::string Readable(const std::string& enum_name,
                            absl::string_view prefix) {
  absl::string_view name = enum_name;
  absl::ConsumePrefix(&name, prefix);
  if (name.empty()) return "-";
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", " "}});
}

// "handed-to-partner" -> OUTCOME_HANDED_TO_PARTNER (with `prefix` "OUTCOME_").
template <typename Enum>
bool ParseReadable(const std::string& text, absl::string_view prefix,
                   bool (*parse)(const std::string&, Enum*), Enum* out) {
  std::string name =
      absl::StrCat(prefix, absl::AsciiStrToUpper(absl::StrReplaceAll(
                               text, {{"-", "_"}, {" ", "_"}})));
  return parse(name, out);
}

inline std::string DecisionText(const v1::Decision& decision) {
  std::string text = Readable(v1::Outcome_Name(decision.outcome()), "OUTCOME_");
  if (!decision.handed_to().empty())
    absl::StrAppend(&text, " (", decision.handed_to(), ")");
  if (!decision.referred_to().empty())
    absl::StrAppend(&text, " (", decision.referred_to(), ")");
  absl::StrAppend(&text, ", ", FormatTimestamp(decision.decided_at()), ": ",
                  decision.reason());
  if (!decision.decided_by_role().empty() || !decision.receiver().empty()) {
    absl::StrAppend(&text, " (by ");
    if (!decision.decided_by_role().empty())
      absl::StrAppend(&text, "a ", decision.decided_by_role(), " of ");
    absl::StrAppend(
        &text,
        decision.receiver().empty() ? "the receiver" : decision.receiver(),
        ")");
  }
  if (!decision.change_reason().empty())
    absl::StrAppend(&text, "; changed because: ", decision.change_reason());
  return text;
}

inline absl::StatusOr<ClientOptions> OptionsFrom(const GlobalFlags& flags) {
  ClientOptions options;
  options.target = flags.hub;
  options.attempt_deadline = absl::Seconds(flags.timeout_seconds);
  if (!flags.as.empty()) {
    options.cert_file = absl::StrCat(flags.pki_dir, "/", flags.as, ".pem");
    options.key_file = absl::StrCat(flags.pki_dir, "/", flags.as, "-key.pem");
    options.ca_file = absl::StrCat(flags.pki_dir, "/ca.pem");
  }
  if (!flags.cert.empty()) options.cert_file = flags.cert;
  if (!flags.key.empty()) options.key_file = flags.key;
  if (!flags.ca.empty()) options.ca_file = flags.ca;
  options.user_id = flags.user;
  options.user_role = flags.user_role;
  options.user_name = flags.user_name;
  if (!flags.user.empty() && flags.user_role.empty()) {
    return absl::InvalidArgumentError(
        "--user-role: required with --user (your function, e.g. "
        "procesregisseur)");
  }
  if (options.cert_file.empty() || options.key_file.empty() ||
      options.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "no identity: give --as NAME (dev PKI) or --cert, --key and --ca");
  }
  return options;
}

// The values of `descriptor` as ketenctl's options take them: without
// `prefix` and *_UNSPECIFIED, lower case, '-' for '_' ("case-meeting").
inline std::vector<std::string> OptionChoices(
    const google::protobuf::EnumDescriptor* descriptor,
    absl::string_view prefix) {
  std::vector<std::string> choices;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const std::string& name = descriptor->value(i)->name();
    if (absl::EndsWith(name, "_UNSPECIFIED")) continue;
    choices.push_back(absl::StrReplaceAll(
        absl::AsciiStrToLower(absl::StripPrefix(name, prefix)), {{"_", "-"}}));
  }
  return choices;
}

template <typename Client>
absl::StatusOr<std::unique_ptr<Client>> ConnectAs(const GlobalFlags& flags) {
  absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
  if (!options.ok()) return options.status();
  return Client::Connect(*options);
}

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_COMMON_H_
