// ketenctl: the KetenHub command line for partners, the chain director,
// auditors and operators. Plain sentences by default, --json for scripts.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "client/signal_client.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/support/log.h"
#include "server/common/text_proto.h"
#include "server/policy/access_policy.h"

namespace ketenhub {
namespace {

struct GlobalFlags {
  std::string hub = "127.0.0.1:50051";
  std::string as;
  std::string pki_dir = "var/dev-pki";
  std::string cert, key, ca;
  bool json = false;
  double timeout_seconds = 10;
};

// Prints a refusal the way scripts and people both read it; returns the exit
// code.
int Report(const absl::Status& status, const GlobalFlags& flags) {
  std::cerr << "ketenctl: " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  if (absl::IsUnavailable(status)) {
    std::cerr << "hint: is the hub running at " << flags.hub
              << ", and does it trust your certificate?\n";
  }
  return EXIT_FAILURE;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z",
                          absl::FromUnixSeconds(ts.seconds()),
                          absl::LocalTimeZone());
}

// "CATEGORY_SEXUAL_EXPLOITATION" -> "sexual exploitation".
std::string Readable(const std::string& enum_name, absl::string_view prefix) {
  std::string text =
      absl::AsciiStrToLower(absl::string_view(enum_name).substr(prefix.size()));
  return absl::StrReplaceAll(text, {{"_", " "}});
}

absl::StatusOr<std::unique_ptr<SignalClient>> ConnectFrom(
    const GlobalFlags& flags) {
  SignalClientOptions options;
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
  if (options.cert_file.empty() || options.key_file.empty() ||
      options.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "no identity: give --as NAME (dev PKI) or --cert, --key and --ca");
  }
  return SignalClient::Connect(options);
}

int Submit(const GlobalFlags& flags, const std::vector<std::string>& files) {
  absl::StatusOr<std::unique_ptr<SignalClient>> client = ConnectFrom(flags);
  if (!client.ok()) return Report(client.status(), flags);
  int failures = 0;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    v1::Signal signal;
    absl::Status status = text.status();
    if (status.ok()) {
      const auto parsed =
          google::protobuf::util::JsonStringToMessage(*text, &signal);
      if (!parsed.ok()) {
        status = absl::InvalidArgumentError(
            absl::StrCat(file, ": ", parsed.ToString()));
      }
    }
    absl::StatusOr<v1::Receipt> receipt =
        status.ok() ? (*client)->Submit(signal)
                    : absl::StatusOr<v1::Receipt>(status);
    if (!receipt.ok()) {
      Report(receipt.status(), flags);
      ++failures;
      continue;
    }
    if (flags.json) {
      std::cout << ToJson(*receipt) << "\n";
    } else {
      std::cout << "Signal " << receipt->client_ref()
                << " is stored by the hub as " << receipt->signal_id()
                << " (sequence " << receipt->sequence() << ", received "
                << FormatTimestamp(receipt->received_at()) << ").\n";
    }
  }
  if (files.size() > 1 && !flags.json) {
    std::cout << files.size() - failures << " of " << files.size()
              << " signals submitted.\n";
  }
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int Status(const GlobalFlags& flags, const std::string& signal_id) {
  absl::StatusOr<std::unique_ptr<SignalClient>> client = ConnectFrom(flags);
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
            << ".\nState: "
            << Readable(v1::SignalState_Name(status->state()), "SIGNAL_STATE_")
            << ", awaiting the chain director.\n";
  return EXIT_SUCCESS;
}

int PolicyCheck(const GlobalFlags& flags, const std::string& file) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(file);
  if (!policy.ok()) {
    std::cerr << "ketenctl: " << policy.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const int partners = (*policy)->policy().partners_size();
  if (flags.json) {
    std::cout << "{\"valid\":true,\"partners\":" << partners
              << ",\"version\":\"" << (*policy)->version() << "\"}\n";
  } else {
    std::cout << "Policy " << file << " is valid: " << partners
              << " partners, version " << (*policy)->version() << ".\n";
  }
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace ketenhub

int main(int argc, char** argv) {
  using ketenhub::GlobalFlags;
  CLI::App app{"ketenctl: talk to a KetenHub (signals, status, policy)"};
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_option("--hub", flags.hub, "hub address host:port")
      ->capture_default_str();
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
      ->capture_default_str();
  app.add_flag("--json", flags.json, "print JSON for scripts");

  std::vector<std::string> files;
  CLI::App* submit =
      app.add_subcommand("submit", "submit signals from JSON files");
  submit->add_option("files", files, "signal files (protobuf JSON mapping)")
      ->required()
      ->check(CLI::ExistingFile);
  std::string signal_id;
  CLI::App* status = app.add_subcommand("status", "show one of your signals");
  status->add_option("signal_id", signal_id, "id from the receipt")->required();
  CLI::App* policy = app.add_subcommand("policy", "work with access policies");
  policy->require_subcommand(1);
  std::string policy_file;
  CLI::App* check =
      policy->add_subcommand("check", "validate a policy file offline");
  check->add_option("file", policy_file, "policy (text-format protobuf)")
      ->required();

  CLI11_PARSE(app, argc, argv);
  // ketenctl reports failures itself, in plain words; gRPC core stays quiet.
  gpr_set_log_function([](gpr_log_func_args*) {});
  if (*submit) return ketenhub::Submit(flags, files);
  if (*status) return ketenhub::Status(flags, signal_id);
  if (*check) return ketenhub::PolicyCheck(flags, policy_file);
  return EXIT_FAILURE;
}
