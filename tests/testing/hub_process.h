#ifndef KETENHUB_TESTS_TESTING_HUB_PROCESS_H_
#define KETENHUB_TESTS_TESTING_HUB_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include "server/common/text_proto.h"

extern char** environ;

namespace ketenhub::testing {

// What a shell command printed (stdout and stderr) and its exit code (-1
// when it did not exit normally).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The real hub binary in its own process, for tests that signal or kill it.
class HubProcess {
 public:
  // Starts `binary --config config`, stderr to `log`.
  HubProcess(const std::string& binary, const std::string& config,
             const std::string& log)
      : log_(log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const char* argv[] = {binary.c_str(), "--config", config.c_str(), nullptr};
    spawned_ = posix_spawn(&pid_, argv[0], &actions, nullptr,
                           const_cast<char**>(argv), environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~HubProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits for the "listening" log line; returns the port, or 0.
  int WaitForPort() {
    const std::regex listening("\"event\":\"listening\".*\"port\":([0-9]+)");
    for (int i = 0; i < 200 && spawned_; ++i) {
      std::smatch match;
      const std::string log = Log();
      if (std::regex_search(log, match, listening)) return std::stoi(match[1]);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }

  // Sends `signal` and returns the exit code.
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string Log() const { return ReadFileToString(log_).value_or(""); }
  pid_t pid() const { return pid_; }

  // Waits until the log holds `text` (up to 10 s).
  bool WaitForLog(const std::string& text) const {
    for (int i = 0; i < 200; ++i) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool spawned_ = false;
  bool reaped_ = false;
};

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_HUB_PROCESS_H_
