// ketenctl's man page and shell completion, generated from its own command
// definitions, so they never disagree with `--help`.
#ifndef KETENHUB_CLIENT_KETENCTL_DOCS_H_
#define KETENHUB_CLIENT_KETENCTL_DOCS_H_

#include <string>

#include "CLI/CLI.hpp"

namespace ketenhub {

// A man page (roff, section 1): the global options, then every command and
// subcommand with its arguments and options, exit status and environment.
std::string ManPage(const CLI::App& app);

// A bash completion script: `source <(ketenctl completion bash)`. Completes
// commands and subcommands, their options and the global ones, and file
// names for arguments.
std::string BashCompletion(const CLI::App& app);

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_KETENCTL_DOCS_H_
