#!/usr/bin/env bash
# scripts/setup.sh: installs the Debian 12 packages autoconv's build, tests and demo need.
#   scripts/setup.sh [extra-package...]
# Idempotent: does nothing when they are all present. Runs apt-get as root (or via sudo).
set -euo pipefail

# The build and the tests; cmake for the consumer tests (test/consumers), libstb-dev
# (stb_image_write.h) for the examples that write PNG pictures. dpkg-dev: meson asks
# its dpkg-architecture for Debian's libdir (lib/x86_64-linux-gnu); without it meson
# installs into lib64, which neither Debian's loader nor CMake's find_package search
# (found by running the consumer tests on a fresh debootstrap). Extra package names
# given as arguments are added (scripts/docs.sh asks for doxygen). The Python module
# (docs/python.md): python3-dev and pybind11-dev to build it, numpy/scipy/pytest for
# its tests, python3-mesonpy and python3-pip for `pip install --no-build-isolation .`.
packages=(g++ meson ninja-build pkg-config libfftw3-dev libeigen3-dev doctest-dev cmake libstb-dev dpkg-dev
          python3-dev pybind11-dev python3-numpy python3-scipy python3-pytest python3-mesonpy python3-pip "$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all build dependencies present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
