#!/usr/bin/env bash
# Formats every tracked C/C++ file in place with .clang-format (the files scripts/check_format.sh
# checks). Run it, review `git diff`, commit the result on its own.
set -euo pipefail
exec bash "$(dirname "$0")/check_format.sh" --fix
