#!/usr/bin/env bash
# Format check (STYLE.md H, .clang-format): every tracked C/C++ file of ours must be formatted.
# Prints one line per file clang-format would change and exits 1 if there is any; exits 0 when the
# tree is clean. `--fix` formats those files in place instead (scripts/format_tree.sh).
# Files checked: tracked *.h *.cc *.cpp *.hpp *.c outside tests/data (fixtures) and node_modules
# (third-party, untracked anyway); dolphin vendors no third-party code.
# Needs clang-format 14 (Debian 12's `clang-format`, installed by scripts/setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/check_format.sh [--fix]" >&2; exit 2 ;;
esac
if ! command -v clang-format >/dev/null 2>&1; then
  echo "check_format: clang-format not found (bash scripts/setup.sh installs it)" >&2
  exit 2
fi
mapfile -d '' files < <(git ls-files -z -- '*.h' '*.cc' '*.cpp' '*.hpp' '*.c' \
  ':(exclude)tests/data/**' ':(exclude)**/node_modules/**')
if ((${#files[@]} == 0)); then
  echo "check_format: no C/C++ files found (not a git checkout?)" >&2
  exit 2
fi
if ((fix)); then
  printf '%s\0' "${files[@]}" | xargs -0 -n 20 clang-format -i --style=file
  echo "format: ${#files[@]} files formatted in place"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then
    echo "$f: not formatted (clang-format -i $f, or scripts/format_tree.sh)"
    bad=$((bad + 1))
  fi
done
if ((bad > 0)); then
  echo "check_format: $bad of ${#files[@]} files not formatted ($(clang-format --version))"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
