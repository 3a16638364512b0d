#!/usr/bin/env bash
# Installs the Debian 12 packages cowsim needs to build and test, if any are missing.
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libsystemc-dev libboost-dev libboost-program-options-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev  # make fuzz: libFuzzer and the sanitizers (docs/reliability.md)
  valgrind  # cowsim capture, and the live Lackey import test (docs/real-traces.md)
  python3-matplotlib chromium  # cowsim report, and its test in headless Chromium (docs/reports.md)
  libyaml-cpp-dev libsqlite3-dev sqlite3  # cowsim sweep: SPEC parsing with line numbers, results database (docs/sweeps.md)
  slurm-wlm munge  # the Slurm backend test runs a one-node cluster on localhost (scripts/slurm-local.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "cowsim needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
