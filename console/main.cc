// ketenconsole: the browser console of the chain director (and, next, the
// auditor). Serves HTTPS to people with a personal certificate and talks to
// the hub only through its public gRPC API.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "console/console_server.h"
#include "grpc/support/log.h"
#include "server/common/core_dumps.h"
#include "server/common/json_log.h"
#include "server/common/text_proto.h"

int main(int argc, char** argv) {
  // Keys in memory never reach a core file.
  if (absl::Status dumps = ketenhub::ForbidCoreDumps(); !dumps.ok()) {
    std::cerr << "ketenconsole: " << dumps.message() << "\n";
    return EXIT_FAILURE;
  }
  CLI::App app{
      "ketenconsole: the chain director's console in the browser, on "
      "https://HOST:PORT/ (listen_address). People sign in with their "
      "personal certificate; everything they do reaches the hub as them.",
      "ketenconsole"};
  std::string config_path;
  app.add_option("--config", config_path,
                 "console configuration (text-format protobuf)")
      ->required();
  CLI11_PARSE(app, argc, argv);
  gpr_set_log_function([](gpr_log_func_args*) {});
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::string> text = ketenhub::ReadFileToString(config_path);
  ketenhub::v1::ConsoleConfig config;
  absl::Status parsed =
      text.ok() ? ketenhub::ParseTextProto(*text, config_path, &config)
                : text.status();
  // Relative paths are relative to the configuration file's folder.
  const std::filesystem::path base =
      std::filesystem::absolute(config_path).parent_path();
  for (std::string* file :
       {config.mutable_tls_cert_file(), config.mutable_tls_key_file(),
        config.mutable_people_ca_file(), config.mutable_hub_cert_file(),
        config.mutable_hub_key_file(), config.mutable_hub_ca_file(),
        config.mutable_templates_dir(), config.mutable_audit_cert_file(),
        config.mutable_audit_key_file(), config.mutable_hub_audit_key_file(),
        config.mutable_care_cert_file(), config.mutable_care_key_file()}) {
    if (!file->empty() && std::filesystem::path(*file).is_relative())
      *file = (base / *file).lexically_normal().string();
  }
  absl::StatusOr<std::unique_ptr<ketenhub::console::ConsoleServer>> server =
      parsed.ok()
          ? ketenhub::console::ConsoleServer::Start(config)
          : absl::StatusOr<std::unique_ptr<ketenhub::console::ConsoleServer>>(
                parsed);
  if (!server.ok()) {
    std::cerr << "ketenconsole: " << server.status().message() << "\n";
    return EXIT_FAILURE;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread serving([&] { (*server)->Serve(); });
  ketenhub::LogEvent(ketenhub::LogLevel::kInfo, "listening",
                     {{"url", absl::StrCat("https://",
                                           config.listen_address().empty()
                                               ? std::string("127.0.0.1:8443")
                                               : config.listen_address(),
                                           "/")}});
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  (*server)->Stop();
  serving.join();
  return EXIT_SUCCESS;
}
