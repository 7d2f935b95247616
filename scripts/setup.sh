#!/usr/bin/env bash
# Installs every Debian package tilec needs to build and test, and nothing else.
# Idempotent: packages already present are skipped, so a second run is a no-op.
# Usage: scripts/setup.sh            (needs root or sudo for apt-get)
set -euo pipefail

# What each group is for (see docs/layout.md and DESIGN.md's toolchain section).
packages=(
  # build
  build-essential cmake ninja-build ccache git
  # LLVM/MLIR 19: libraries, mlir-tblgen, FileCheck/not/lit for lit tests
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # unit tests
  libgtest-dev
  # ONNX import/export (protobuf classes of the ONNX format)
  libonnx-dev libprotobuf-dev protobuf-compiler
  # reference checks against PyTorch (Debian's python3 interpreter, not a venv)
  python3 python3-numpy python3-torch python3-torchvision
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "[setup] error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "[setup] installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[setup] done"
