#include "tools/ketenctl/ketenctl_docs.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace ketenhub {
namespace {

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<const CLI::Option*> Options(const CLI::App& app) {
  return app.get_options([](const CLI::Option*) { return true; });
}

// Text safe for roff: backslashes doubled, hyphens as \-, and a leading dot
// or quote defused.
std::string Roff(const std::string& text) {
  std::string out = absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"-", "\\-"}});
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

// "--hub TEXT" or "-h,--help", as --help shows it, without the choices
// ("TEXT:{a,b}"): the option's description lists them, and a long list
// cannot be set on one line.
std::string OptionLabel(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& s : option.get_snames()) names.push_back("-" + s);
  for (const std::string& l : option.get_lnames()) names.push_back("--" + l);
  std::string label = absl::StrJoin(names, ", ");
  if (option.get_type_size() != 0 && !option.get_type_name().empty()) {
    const std::string type = option.get_type_name();
    absl::StrAppend(&label, " ", type.substr(0, type.find(":{")));
  }
  return label;
}

void AppendOptionItems(const CLI::App& app, std::string& page) {
  for (const CLI::Option* option : Options(app)) {
    if (option == app.get_help_ptr()) continue;  // said once, in DESCRIPTION
    const bool positional = option->get_positional();
    page += ".TP\n";
    if (positional) {
      absl::StrAppend(&page, ".I ", Roff(option->get_name(true)), "\n");
    } else {
      absl::StrAppend(&page, ".B ", Roff(OptionLabel(*option)), "\n");
    }
    std::string text = option->get_description();
    if (!option->get_default_str().empty()) {
      absl::StrAppend(&text, " (default: ", option->get_default_str(), ")");
    }
    if (option->get_required()) absl::StrAppend(&text, " (required)");
    absl::StrAppend(&page, Roff(text), "\n");
  }
}

void AppendCommand(const CLI::App& app, const std::string& path,
                   std::string& page) {
  absl::StrAppend(&page, ".SS \"", Roff(path), "\"\n",
                  Roff(app.get_description()), "\n");
  AppendOptionItems(app, page);
  for (const CLI::App* sub : Subcommands(app)) {
    AppendCommand(*sub, absl::StrCat(path, " ", sub->get_name()), page);
  }
}

// Adds `app`'s entries to the two bash tables, keyed by command path.
void AppendTables(const CLI::App& app, const std::string& path,
                  std::string& children, std::string& options) {
  std::vector<std::string> names;
  for (const CLI::App* sub : Subcommands(app)) names.push_back(sub->get_name());
  std::vector<std::string> flags;
  for (const CLI::Option* option : Options(app)) {
    for (const std::string& l : option->get_lnames()) flags.push_back("--" + l);
    for (const std::string& s : option->get_snames()) flags.push_back("-" + s);
  }
  absl::StrAppend(&children, "  [\"", path, "\"]=\"", absl::StrJoin(names, " "),
                  "\"\n");
  absl::StrAppend(&options, "  [\"", path, "\"]=\"", absl::StrJoin(flags, " "),
                  "\"\n");
  for (const CLI::App* sub : Subcommands(app)) {
    AppendTables(*sub, absl::StrCat(path, " ", sub->get_name()), children,
                 options);
  }
}

}  // namespace

std::string ManPage(const CLI::App& app) {
  std::string page = ".TH KETENCTL 1 \"\" \"KetenHub\" \"User Commands\"\n";
  std::string summary = app.get_description();
  if (summary.rfind("ketenctl: ", 0) == 0) summary.erase(0, 10);
  absl::StrAppend(&page, ".SH NAME\nketenctl \\- ", Roff(summary), "\n");
  page +=
      ".SH SYNOPSIS\n.B ketenctl\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
      "[\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n";
  page +=
      ".SH DESCRIPTION\n"
      "ketenctl talks to a KetenHub over mutual TLS: partners submit signals "
      "and follow their status, the chain director follows the stream and "
      "decides, auditors query and verify the audit trail, operators run the "
      "hub. It identifies itself with a client certificate holding the "
      "organisation's OIN (\\fB\\-\\-cert\\fR, \\fB\\-\\-key\\fR, "
      "\\fB\\-\\-ca\\fR; with a dev PKI, \\fB\\-\\-as\\fR \\fINAME\\fR). "
      "Output is for people; \\fB\\-\\-json\\fR prints JSON for scripts. "
      "Every command has \\fB\\-\\-help\\fR.\n";
  page += ".SH GLOBAL OPTIONS\nThese work before or after the command.\n";
  AppendOptionItems(app, page);
  page += ".SH COMMANDS\n";
  for (const CLI::App* sub : Subcommands(app)) {
    AppendCommand(*sub, absl::StrCat("ketenctl ", sub->get_name()), page);
  }
  page +=
      ".SH EXIT STATUS\n"
      "0 when everything asked for was done (and for \\fB\\-\\-help\\fR); 1 "
      "when the hub refused or could not be reached (a line "
      "\\fBketenctl: \\fICODE\\fB: \\fImessage\\fR on standard error, with a "
      "hint where one helps), a file could not be read (the message names "
      "the file, and the line of a .jsonl file), or the command line is "
      "not understood (a mistyped command gets the nearest one "
      "suggested).\n"
      ".SH ENVIRONMENT\n.TP\n.B KETENHUB_DEV_PKI\n"
      "The folder of the dev PKI, as \\fB\\-\\-pki\\-dir\\fR.\n"
      ".SH SEE ALSO\n"
      "The guides in /usr/share/doc/ketenhub/: partner\\-integration.md, "
      "chain\\-director\\-guide.md, auditor\\-guide.md, operator\\-guide.md.\n";
  return page;
}

std::string BashCompletion(const CLI::App& app, const OptionValues& values,
                           const std::string& invoked_as) {
  std::string children, options, value_table;
  AppendTables(app, "ketenctl", children, options);
  for (const auto& [option, choices] : values) {
    absl::StrAppend(&value_table, "  [\"", option, "\"]=\"",
                    absl::StrJoin(choices, " "), "\"\n");
  }
  std::string names = "ketenctl";
  if (!invoked_as.empty() && invoked_as != "ketenctl" &&
      invoked_as.find_first_of(" \t'\"$`\\") == std::string::npos) {
    absl::StrAppend(&names, " ", invoked_as);
  }
  return absl::StrCat(
      "# bash completion for ketenctl (generated by `ketenctl completion "
      "bash`)\n",
      "declare -gA _ketenctl_children=(\n", children, ")\n",
      "declare -gA _ketenctl_options=(\n", options, ")\n",
      "declare -gA _ketenctl_values=(\n", value_table, ")\n",
      R"(_ketenctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} path=ketenctl key i words
  local prev=${COMP_WORDS[COMP_CWORD-1]}
  if [[ $COMP_CWORD -gt 1 && -n "${_ketenctl_values[$prev]+set}" ]]; then
    COMPREPLY=($(compgen -W "${_ketenctl_values[$prev]}" -- "$cur"))
    return
  fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    key="$path ${COMP_WORDS[i]}"
    [[ -n "${_ketenctl_children[$key]+set}" ]] && path=$key
  done
  if [[ $cur == -* ]]; then
    words="${_ketenctl_options[$path]} ${_ketenctl_options[ketenctl]}"
  else
    words="${_ketenctl_children[$path]}"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  if [[ ${#COMPREPLY[@]} -eq 0 && $cur != -* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _ketenctl )",
      names, "\n");
}

namespace {

// Edits (insertions, deletions, substitutions, swaps of neighbours) from
// `a` to `b`.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

void Nearest(const CLI::App& app, const std::string& word, std::string& best,
             size_t& best_distance) {
  for (const CLI::App* sub : Subcommands(app)) {
    const size_t distance = EditDistance(word, sub->get_name());
    if (distance < best_distance) {
      best_distance = distance;
      best = sub->get_name();
    }
    Nearest(*sub, word, best, best_distance);
  }
}

}  // namespace

std::string NearestCommand(const CLI::App& app, const std::string& word) {
  std::string best;
  size_t best_distance = 3;  // at most two edits
  Nearest(app, word, best, best_distance);
  return best;
}

}  // namespace ketenhub
