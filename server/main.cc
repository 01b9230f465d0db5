// ketenhub: the KetenHub server. Wires configuration to a running Hub,
// reloads the policy on SIGHUP and shuts down cleanly on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "grpc/support/log.h"
#include "server/common/json_log.h"
#include "server/service/hub.h"
#include "server/service/hub_config.h"

#ifdef KETENHUB_JEMALLOC
// jemalloc reads this at start-up (MALLOC_CONF in the environment still
// overrides it). Two arenas suit a hub on a few cores; the background thread
// returns freed pages to the system within about a second, which keeps the
// resident set near what RocksDB's memtable and cache budgets allow.
extern "C" {
const char* malloc_conf =
    "narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

namespace {

// gRPC core's own messages (handshake failures, transport errors) become JSON
// lines like every other; they describe connections, never payloads.
void LogFromGrpc(gpr_log_func_args* args) {
  const ketenhub::LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR
                                       ? ketenhub::LogLevel::kError
                                       : ketenhub::LogLevel::kInfo;
  ketenhub::LogEvent(level, "grpc", {{"message", args->message}});
}

int Fail(const absl::Status& status) {
  ketenhub::LogEvent(ketenhub::LogLevel::kError, "startup_failed",
                     {{"reason", status.message()}});
  std::cerr << "ketenhub: " << status.message() << "\n";
  return EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "KetenHub: secure signal exchange for the care-and-safety chain"};
  std::string config_path;
  app.add_option("--config", config_path,
                 "hub configuration (text-format protobuf)")
      ->required();
  ketenhub::Hub::Overrides overrides;
  app.add_option(
      "--replace-lost-signing-key", overrides.replace_lost_signing_key_reason,
      "REASON: the audit signing key is lost (no backup); start with a new "
      "one and record that, with REASON, in the trail. Refused when the key "
      "is not lost. For one start only: remove it afterwards.");
  app.add_option(
      "--replace-lost-kek", overrides.replace_lost_kek_reason,
      "REASON: a key-encryption key is lost (no backup); start anyway, with a "
      "new KEK, and record that, with REASON, in the trail. The signals under "
      "the lost KEK can never be read again. Refused when none is lost.");
  app.add_option(
      "--accept-rollback", overrides.accept_rollback_reason,
      "REASON: start although the audit trail is smaller than (or other "
      "than) what a witness cosigned, after a restore you intend; records "
      "it, with REASON, in the trail. Refused when there is nothing to "
      "accept. For one start only.");
  CLI11_PARSE(app, argc, argv);
  gpr_set_log_function(LogFromGrpc);
  // Lock-order checking is for tests (which keep it); it costs every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<ketenhub::v1::HubConfig> config =
      ketenhub::LoadHubConfig(config_path);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<std::unique_ptr<ketenhub::Hub>> hub =
      ketenhub::Hub::Start(*config, nullptr, overrides);
  if (!hub.ok()) return Fail(hub.status());

  int received = 0;
  while (sigwait(&stop_signals, &received) == 0 && received == SIGHUP) {
    (void)(*hub)
        ->ReloadPolicy();  // logged either way; a bad file changes nothing
  }
  ketenhub::LogEvent(ketenhub::LogLevel::kInfo, "stopping",
                     {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*hub)->Shutdown();
  ketenhub::LogEvent(ketenhub::LogLevel::kInfo, "stopped");
  return EXIT_SUCCESS;
}
