// ketenwitness: an independent witness of a KetenHub's audit trail, run by
// another organisation (the data protection officer, say). It polls the
// hub, checks that each new checkpoint extends the last one it accepted,
// cosigns it and hands the cosignature to the hub, which from then on will
// not start on a smaller or rewritten trail.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/support/log.h"
#include "grpcpp/channel.h"
#include "server/common/core_dumps.h"
#include "server/common/json_log.h"
#include "server/common/text_proto.h"
#include "tools/ketenwitness/witness.h"

namespace {

volatile std::sig_atomic_t stopping = 0;

int Init(const std::string& state_dir) {
  absl::StatusOr<std::unique_ptr<ketenhub::Witness>> witness =
      ketenhub::Witness::Open(state_dir);
  if (!witness.ok()) {
    std::cerr << "ketenwitness: " << witness.status().message() << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "# witness key id " << (*witness)->signer().key_id() << "\n"
            << "# In the hub's policy, give your witness's partner entry "
               "role ROLE_WITNESS and this key as witness_public_key:\n"
            << (*witness)->signer().public_key_pem();
  return EXIT_SUCCESS;
}

int Run(const std::string& state_dir, ketenhub::ClientOptions options,
        const std::string& hub_key_file, bool once, int interval_seconds) {
  const std::string hub_key =
      ketenhub::ReadFileToString(hub_key_file).value_or("");
  if (hub_key.empty()) {
    std::cerr << "ketenwitness: --hub-key: cannot read " << hub_key_file
              << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::unique_ptr<ketenhub::Witness>> witness =
      ketenhub::Witness::Open(state_dir);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      witness.ok()
          ? ketenhub::MakeHubChannel(options)
          : absl::StatusOr<std::shared_ptr<grpc::Channel>>(witness.status());
  if (!channel.ok()) {
    std::cerr << "ketenwitness: " << channel.status().message() << "\n";
    return EXIT_FAILURE;
  }
  auto hub = ketenhub::v1::WitnessService::NewStub(*channel);
  for (;;) {
    absl::StatusOr<ketenhub::v1::Cosignature> cosigned =
        (*witness)->Round(*hub, options, hub_key);
    if (cosigned.ok()) {
      ketenhub::LogEvent(
          ketenhub::LogLevel::kInfo, "cosigned",
          {{"tree_size", absl::StrCat(cosigned->tree_size())},
           {"root", absl::BytesToHexString(cosigned->root_hash())}});
    } else {
      // A trail that does not extend what was cosigned is the alarm this
      // witness exists for; anything else is trouble reaching the hub.
      const bool refused = absl::IsDataLoss(cosigned.status());
      ketenhub::LogEvent(
          refused ? ketenhub::LogLevel::kError : ketenhub::LogLevel::kWarning,
          refused ? "refused" : "round_failed",
          {{"reason", std::string(cosigned.status().message())}});
      if (once) return refused ? 2 : EXIT_FAILURE;
    }
    if (once) return EXIT_SUCCESS;
    for (int i = 0; i < interval_seconds * 10 && !stopping; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stopping) return EXIT_SUCCESS;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Keys in memory never reach a core file.
  if (absl::Status dumps = ketenhub::ForbidCoreDumps(); !dumps.ok()) {
    std::cerr << "ketenwitness: " << dumps.message() << "\n";
    return EXIT_FAILURE;
  }
  CLI::App app{
      "ketenwitness: witness a KetenHub's audit trail. It cosigns each "
      "checkpoint that extends the last one it accepted (proven by the hub's "
      "consistency proof) and never one that does not; the hub keeps the "
      "cosignatures and will not start on a trail behind them. Exit status "
      "with --once: 0 cosigned, 2 the trail does not extend what was "
      "cosigned, 1 any other trouble.",
      "ketenwitness"};
  app.require_subcommand(1);
  std::string state_dir;
  CLI::App* init = app.add_subcommand(
      "init", "create the witness's folder and key; prints the public key");
  CLI::App* run = app.add_subcommand("run", "witness the hub");
  for (CLI::App* command : {init, run}) {
    command
        ->add_option("--state-dir", state_dir,
                     "the witness's folder (0700): key, accepted checkpoint, "
                     "cosignatures")
        ->required();
  }
  ketenhub::ClientOptions options;
  std::string hub_key;
  bool once = false;
  int interval = 60;
  run->add_option("--hub", options.target, "HOST:PORT of the hub")
      ->capture_default_str();
  run->add_option("--cert", options.cert_file,
                  "the witness's client certificate (PEM, with its OIN)")
      ->required();
  run->add_option("--key", options.key_file, "its private key (PEM)")
      ->required();
  run->add_option("--ca", options.ca_file, "the CA of the hub's certificate")
      ->required();
  run->add_option("--hub-key", hub_key,
                  "the hub's audit public key (keys/audit-signing.pub), "
                  "obtained by another channel than the hub")
      ->required();
  run->add_flag("--once", once, "one round, then exit (for tests and cron)");
  run->add_option("--interval", interval, "seconds between rounds")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  CLI11_PARSE(app, argc, argv);
  gpr_set_log_function([](gpr_log_func_args*) {});
  std::signal(SIGTERM, [](int) { stopping = 1; });
  std::signal(SIGINT, [](int) { stopping = 1; });
  if (*init) return Init(state_dir);
  return Run(state_dir, options, hub_key, once, interval);
}
