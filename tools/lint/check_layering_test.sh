#!/usr/bin/env bash
# Test of tools/lint/check_layering.py: on tests/data/lint/layering (a tree that breaks every rule
# once) it exits 1 and prints exactly the expected problem lines. Runs as the ctest
# lint.layering_self_test.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(python3 "$root/tools/lint/check_layering.py" "$root/tests/data/lint/layering")
rc=$?
expected=(
  'libs/b/CMakeLists.txt: library b has no row in docs/architecture.md §2'
  'docs/architecture.md:9: the table has a row for gone, but no dolphin_add_library(NAME gone) exists'
  'libs/a/CMakeLists.txt: a links dolphin::b, which its row in docs/architecture.md §2 does not allow (allowed: core)'
  'libs/a/src/a.cc:2: a includes "dolphin/b/b.h" of b, which its row'
  'libs/a/src/a.cc:3: includes "../../core/src/private.h", a private (src/) file of libs/core'
  'libs/a/src/a.cc:4: includes "dolphin/nothing/here.h", which is no library'"'"'s public header'
  'apps/app/main.cc:3: includes "libs/b/src/secret.h", a private (src/) file of libs/b'
  'layering check: 7 problem(s)'
)
status=0
if [[ $rc -ne 1 ]]; then
  echo "check_layering_test: expected exit 1, got $rc"
  status=1
fi
for e in "${expected[@]}"; do
  if ! grep -qF -- "$e" <<<"$out"; then
    echo "check_layering_test: missing line: $e"
    status=1
  fi
done
if [[ $status -ne 0 ]]; then
  echo "--- output was:"
  echo "$out"
else
  echo "check_layering_test: ok (${#expected[@]} expected lines)"
fi
exit $status
