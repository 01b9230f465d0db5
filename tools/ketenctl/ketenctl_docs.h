// ketenctl's man page and shell completion, generated from its own command
// definitions, so they never disagree with `--help`.
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_DOCS_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_DOCS_H_

#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"

namespace ketenhub {

// A man page (roff, section 1): the global options, then every command and
// subcommand with its arguments and options, exit status and environment.
std::string ManPage(const CLI::App& app);

// The values an option takes, for completion: {"--kind", {"general", ...}}.
using OptionValues =
    std::vector<std::pair<std::string, std::vector<std::string>>>;

// A bash completion script: `source <(ketenctl completion bash)`. Completes
// commands and subcommands, their options and the global ones, the values
// of the options in `values`, and file names for arguments; for the command
// names "ketenctl" and `invoked_as` (the path ketenctl was run by, such as
// build/client/ketenctl).
std::string BashCompletion(const CLI::App& app, const OptionValues& values,
                           const std::string& invoked_as);

// The command of `app` whose name is nearest to `word` (at most two edits
// away), at any depth, or "" when none is that near: for "did you mean".
std::string NearestCommand(const CLI::App& app, const std::string& word);

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_DOCS_H_
