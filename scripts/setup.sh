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
  # codegen: linking CPU kernels into a shared object; ROCm device libraries
  lld-19 rocm-device-libs
  # the auto-tuner: tuning database, cost model, scale-out over MPI ranks
  libsqlite3-dev libxgboost-dev libopenmpi-dev openmpi-bin
  # unit tests and benchmarks (baselines: OpenBLAS for GEMM, oneDNN for convolution)
  libgtest-dev libbenchmark-dev libopenblas-dev libdnnl-dev
  # ONNX import/export (protobuf classes of the ONNX format)
  libonnx-dev libprotobuf-dev protobuf-compiler
  # fuzzing the ONNX importer (libFuzzer, AddressSanitizer)
  clang-19 libclang-rt-19-dev
  # reference checks against PyTorch (Debian's interpreter and packages)
  python3 python3-numpy python3-torch python3-torchvision python3-venv python3-pip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "[setup] error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] all ${#packages[@]} Debian packages already installed"
else
  echo "[setup] installing ${#missing[@]} missing package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python test tooling from PyPI, in .venv (it also sees Debian's torch/torchvision):
# the ONNX node tests and checker (onnx) and the ONNX Runtime round trip.
cd "$(dirname "$0")/.."
python_packages=("numpy<2" "onnx==1.16.2" "onnxruntime==1.19.2")
if .venv/bin/python -c "import onnx, onnxruntime, torch" 2>/dev/null &&
   [ "$(.venv/bin/python -c 'import onnx; print(onnx.__version__)')" = "1.16.2" ]; then
  echo "[setup] .venv has onnx and onnxruntime"
else
  echo "[setup] creating .venv with ${python_packages[*]}"
  /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
echo "[setup] done"
