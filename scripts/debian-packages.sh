# Sourced by scripts/setup.sh and the scripts/setup.d hooks: installs Debian packages by name
# when they are missing. Idempotent: `apt-get update` and `apt-get install` run only when at
# least one package is not installed yet.

# ensure_debian_packages <package>...
ensure_debian_packages() {
  local missing=() p sudo=""
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ensure_command <command> <package>...: installs the packages when <command> is not on PATH
# (a command installed some other way, e.g. Node.js from another source, is left alone).
ensure_command() {
  local cmd=$1
  shift
  if command -v "$cmd" >/dev/null 2>&1; then
    return 0
  fi
  ensure_debian_packages "$@"
}
