#!/usr/bin/env bash
# Project rules that a grep can enforce, checked on every tracked C++ source
# (ctest `source_rules`, so scripts/test.sh and CI run it). Exits 1 and names
# file:line for each violation.
#
# No <regex>: libstdc++'s std::regex matcher recurses once per character, so
# a value of ~30 KB overflows the stack (a manifest field, a rule file, git's
# output once did: SIGSEGV in `stackd validate`). Code that reads anything a
# user or the network provides checks syntax with a bounded hand-written scan
# (api/v1alpha1/field_syntax.hpp). Only the files below may include <regex>,
# each for the reason given; a file listed here that no longer uses it must
# leave the list.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A regex_allowed=(
  # Matches the ANSI cursor codes of its own renderer's output in a test.
  [reconcilers/containers/pull_progress_test.cpp]=1
  # Match stackd's own output (progress lines, error positions) in e2e tests.
  [tests/e2e/registry_e2e_test.cpp]=1
  [tests/e2e/hardening_e2e_test.cpp]=1
)

# Tracked files and new ones not yet added (but not ignored ones: build/).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.cc' '*.hpp' '*.h' | sort -u)
else
  mapfile -t files < <(find . -path './build*' -prune -o \( -name '*.cpp' -o -name '*.cc' -o -name '*.hpp' -o -name '*.h' \) \
                         -type f -print | sed 's|^\./||' | sort)
fi

failed=0
# The include itself, or a use of std::regex and its kin in code (not in a
# comment that explains why it is not used).
regex_use='^[[:space:]]*#[[:space:]]*include[[:space:]]*<regex>|std::[a-z_]*regex|std::w?[sc]?(sub_)?match\b'
uses_regex() {
  sed 's|//.*||' "$1" | grep -nE "$regex_use"
}
# One grep over all files finds the candidates; only those are read again.
mapfile -t candidates < <(printf '%s\0' "${files[@]}" | xargs -0 -r grep -lE "$regex_use" -- 2>/dev/null || true)
for f in "${candidates[@]}"; do
  if hits=$(uses_regex "$f"); then
    if [ -z "${regex_allowed[$f]:-}" ]; then
      lines=$(cut -d: -f1 <<<"$hits" | paste -sd, -)
      echo "$f:${lines%%,*}: uses <regex> (lines $lines): not allowed on input, it overflows the stack on long values; use a bounded scan (api/v1alpha1/field_syntax.hpp)"
      failed=1
    fi
  fi
done
for f in "${!regex_allowed[@]}"; do
  if [ ! -f "$f" ] || ! uses_regex "$f" >/dev/null; then
    echo "$f: allowed to use <regex> in scripts/check-source-rules.sh but does not (any more): remove it from the list"
    failed=1
  fi
done

if [ "$failed" = 0 ]; then echo "source rules: ${#files[@]} files checked, no violations"; fi
exit "$failed"
