#!/usr/bin/env bash
# Installs Vivid's Debian packages, only those missing, with apt-get (through sudo when not root).
#   Deploy/install-deps.sh build    what compiling needs (-dev headers; the Docker build stage)
#   Deploy/install-deps.sh test     build + what the tests and tools need (ffmpeg CLI, python3; `make deps`)
#   Deploy/install-deps.sh runtime  what the release binary needs to run (the Docker runtime stage)
# The one list of packages: the Makefile, CI, the Dockerfile and Deploy/check-runtime.sh all call this script.
set -euo pipefail

build_packages=(
  pkg-config
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libopenblas-dev libdnnl-dev libmicrohttpd-dev
)
test_packages=(
  "${build_packages[@]}"
  ffmpeg                      # the CLI that tests and benchmarks use to generate videos
  python3 python3-numpy python3-msgpack   # Tools/ (checkpoint conversion in the parity tests) and script checks
  python3-venv                            # Tests/client_checks.py's venv (tritonclient, openapi-spec-validator)
)
# Wanted by the tests but not needed to pass them: a failed install is reported and the checks that use them skip.
optional_test_packages=(
  chromium                    # headless, for Tests/page_checks.py (the page at GET / in a real browser)
)
# The Swift runtime libraries are not Debian packages: the Dockerfile and check-runtime.sh copy the ones the
# binary links from the toolchain; these are what they need underneath.
runtime_packages=(
  libavformat59 libavcodec59 libavutil57 libswscale6
  libopenblas0 libdnnl2 libgomp1 libmicrohttpd12
  libstdc++6 libgcc-s1 tzdata
)

case "${1:-}" in
  build) wanted=("${build_packages[@]}") ;;
  test) wanted=("${test_packages[@]}") ;;
  runtime) wanted=("${runtime_packages[@]}") ;;
  list-runtime) echo "${runtime_packages[@]}"; exit 0 ;;
  *) echo "usage: $0 build|test|runtime|list-runtime" >&2; exit 2 ;;
esac

absent() { # absent PACKAGE...: those not installed
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}
missing=($(absent "${wanted[@]}"))
optional=()
[ "$1" = test ] && optional=($(absent "${optional_test_packages[@]}"))
if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ]; then
  echo "install-deps: all ${1} packages present"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#optional[@]} -gt 0 ]; then
  echo "install-deps: installing ${optional[*]} (optional)"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${optional[@]}" \
    || echo "install-deps: could not install ${optional[*]}; the checks that use them skip"
fi
