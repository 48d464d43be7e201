#!/bin/sh
# The system packages that tbreport's make targets need; installed with apt when missing.
#
#   sh tools/system-deps.sh PYTHON GROUP...
#
#   venv   the venv module of PYTHON (Debian's python3.X-venv), and Python >= 3.9
#   demo   graphviz: the `dot` program that draws model graphs
#   test   chromium (the browser tests), fonts-noto-cjk (CJK text in screenshots) and
#          poppler-utils (pdftotext: the print test reads the printed PDF)
#
# On Debian/Ubuntu a package is missing when dpkg does not list it as installed (and,
# for graphviz and chromium, their program is not on PATH either). As
# root it is installed with apt-get; otherwise with sudo when sudo is there and may;
# else the exact apt line is printed and the script exits 1, having changed nothing.
# Without dpkg (another system), what is missing is named: the venv module stops
# the make, a missing program is a warning (graphs then show as DOT source, and the
# browser tests skip). TBREPORT_SYSTEM_DEPS=skip checks nothing.
set -eu

say() { printf 'tbreport: %s\n' "$*" >&2; }

if [ $# -lt 2 ]; then
  say "error: usage: sh tools/system-deps.sh PYTHON GROUP... (groups: venv demo test)"
  exit 2
fi
python=$1
shift
[ "${TBREPORT_SYSTEM_DEPS:-}" = skip ] && exit 0

debian=no
command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && debian=yes

installed() {  # PACKAGE: is it installed, as dpkg says?
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" in
    *" ok installed") return 0 ;;
    *) return 1 ;;
  esac
}

check_python() {  # the interpreter exists and is new enough; echoes its venv package
  if ! "$python" -c 'import sys' >/dev/null 2>&1; then
    say "error: no Python at '$python': install python3 (apt-get install -y python3), or run make with PYTHON=/path/to/python3"
    exit 1
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
    say "error: tbreport needs Python >= 3.9; '$python' is $("$python" -V 2>&1): run make with PYTHON=/path/to/python3.9-or-newer"
    exit 1
  fi
  "$python" -c 'import sys; print("python3.%d-venv" % sys.version_info[1])'
}

needs_venv_package() {  # PACKAGE: does PYTHON need it for `python -m venv`?
  # Debian's own Python (prefix /usr) has no ensurepip until python3.X-venv is there.
  if [ "$debian" = yes ] && [ "$("$python" -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
    installed "$1" && return 1
    return 0
  fi
  "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 && return 1
  say "error: '$python' has no ensurepip, so it cannot make the project's venv: install its venv module (on Debian/Ubuntu: $1), or run make with PYTHON=/path/to/another/python3"
  exit 1
}

missing=""
want() {  # PACKAGE [PROGRAM...]: wanted unless one of its programs is on PATH or dpkg has it
  pkg=$1
  shift
  for prog in "$@"; do
    command -v "$prog" >/dev/null 2>&1 && return 0
  done
  if [ "$debian" = yes ]; then
    installed "$pkg" || missing="$missing $pkg"
  elif [ $# -gt 0 ]; then
    say "warning: no '$1' on PATH: install $pkg with your system's package manager"
  fi
}

for group in "$@"; do
  case $group in
    venv)
      pkg=$(check_python)
      if needs_venv_package "$pkg"; then missing="$missing $pkg"; fi
      ;;
    demo) want graphviz dot ;;
    test)
      want chromium chromium chromium-browser google-chrome
      want fonts-noto-cjk
      want poppler-utils pdftotext  # the print test reads the PDF's text
      ;;
    *)
      say "error: unknown group '$group' (groups: venv demo test)"
      exit 2
      ;;
  esac
done

[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" = 0 ]; then
  say "installing with apt-get: $missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086  # one word per package
  if apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 $missing; then exit 0; fi
  say "error: apt-get could not install: $missing (see its message above)"
  exit 1
fi

if command -v sudo >/dev/null 2>&1; then
  say "installing with sudo apt-get: $missing"
  # shellcheck disable=SC2086
  if sudo apt-get update -qq && sudo apt-get install -y -qq -o Dpkg::Use-Pty=0 $missing; then exit 0; fi
  say "error: sudo could not install the system packages it needs: $missing"
  say "run this, then the same make command again:"
  printf '    sudo apt-get update && sudo apt-get install -y %s\n' "$missing" >&2
  exit 1
fi

say "error: these system packages are missing, and installing them needs root (there is no sudo here): $missing"
say "run this as root, then the same make command again:"
printf '    apt-get update && apt-get install -y %s\n' "$missing" >&2
exit 1
