#!/usr/bin/env bash
# ketenctl's generated man page renders without a groff warning and names
# every command; its bash completion completes commands, subcommands, options
# and file names.
# Usage: ketenctl_docs_test.sh KETENCTL_BINARY
set -euo pipefail
ketenctl=${1:?ketenctl binary}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

page=$("$ketenctl" man)
warnings=$(printf '%s\n' "$page" | groff -man -Tutf8 -ww -z 2>&1) || true
[ -z "$warnings" ] || fail "groff warns: $warnings"
text=$(printf '%s\n' "$page" | groff -man -Tascii -P-cbu 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS"; do
  grep -q "^$section" <<<"$text" || fail "no $section section"
done
for command in "ketenctl submit" "ketenctl watch" "ketenctl audit verify" \
               "ketenctl admin subject erase" "ketenctl policy check"; do
  grep -q "^   $command\$" <<<"$text" || fail "no entry for $command"
done
grep -q -- "--batch" <<<"$text" || fail "submit --batch is not described"

# Completes the last word of "$1" and prints the candidates.
complete_line() {
  bash -c 'source <("$1" completion bash)
    read -ra COMP_WORDS <<<"$2"; [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _ketenctl; echo "${COMPREPLY[*]}"' \
    _ "$ketenctl" "$1"
}
expect() {  # line, expected candidates
  local got
  got=$(complete_line "$1")
  [ "$got" = "$2" ] || fail "completing '$1': got '$got', expected '$2'"
}
expect "ketenctl su" "submit"
expect "ketenctl --json st" "status"
expect "ketenctl audit q" "query"
expect "ketenctl admin subject e" "export erase"
expect "ketenctl submit --b" "--batch"
expect "ketenctl watch --js" "--json"
expect "ketenctl decide ID --outcome ca" "case-meeting"
expect "ketenctl decide ID --reason x --outcome " "case-meeting handed-to-partner advice-given no-action victim-reached referred-to-shelter referred-to-care help-declined not-reachable"
expect "ketenctl release ID --kind he" "health"
# Registered for the path ketenctl was run by, too (build/tools/ketenctl/ketenctl).
bash -c 'source <("$1" completion bash); complete -p "$1"' _ "$ketenctl" \
  >/dev/null 2>&1 || fail "no completion for $ketenctl"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/signal-one.json"
expect "ketenctl submit $dir/signal-o" "$dir/signal-one.json"

[ "$failures" -eq 0 ] && echo "man page and completion: ok"
exit "$failures"
