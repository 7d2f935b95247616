#!/usr/bin/env bash
# Packs what tests/gpu/run_on_device.sh runs into one file, for a GPU machine
# that has the NVIDIA driver and CUDA but not LLVM/MLIR 19 or tilec's other
# Debian libraries (the lent H100/H200 machines: nothing can be installed there).
#
# Builds tilec, tilec-conformance and the cuBLAS/cuDNN baselines here, then
# writes .gpu-bundle/tilec-gpu.tar.xz: bin/ (those programs and ld.lld) and
# lib/ (every shared library they load, found by ldd, except glibc's, the C++
# runtime's and NVIDIA's: the GPU machine's own are newer or must match its
# driver). run_on_device.sh unpacks it when it is there, instead of building.
# About 45 MB: within what the device tool carries (64 MiB with the tree).
#
# Usage: tests/gpu/bundle.sh      then run the device script with
#        carry [".gpu-bundle"]    (the folder is git-ignored)
set -euo pipefail
cd "$(dirname "$0")/../.."
programs=(tilec tilec-conformance tilec-cublas-gemm tilec-cudnn-conv)
scripts/build.sh "${programs[@]}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
for p in "${programs[@]}"; do
  cp build/bin/"$p" "$stage/bin/"
done
# CUDA kernels need no linker, but AMD ones and a model's CPU parts do.
lld=$(command -v /usr/lib/llvm-19/bin/ld.lld ld.lld-19 2>/dev/null | head -1)
[ -n "$lld" ] && cp -L "$lld" "$stage/bin/ld.lld"
strip --strip-unneeded "$stage"/bin/* 2>/dev/null || true

# Libraries the GPU machine supplies itself: glibc (its version is newer and
# backward compatible), libstdc++/libgcc_s (likewise), and CUDA's (the driver's
# libcuda and the toolkit's cuBLAS/cuDNN, found there through LD_LIBRARY_PATH).
keep_out='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libutil\.so|libresolv\.so|libstdc\+\+\.so|libgcc_s\.so|libcuda\.so|libcudart\.so|libcublas|libcublasLt|libcudnn|libnvrtc|libnvJitLink)'
for f in "$stage"/bin/*; do
  ldd "$f" | awk '/=> \// { print $1, $3 }'
done | sort -u | while read -r name path; do
  if ! [[ "$name" =~ $keep_out ]]; then
    cp -L "$path" "$stage/lib/$name"
  fi
done
missing=$(for f in "$stage"/bin/*; do ldd "$f" | grep 'not found' || true; done | sort -u)
[ -z "$missing" ] || { echo "[bundle] unresolved libraries here: $missing" >&2; exit 1; }

mkdir -p .gpu-bundle
echo "[bundle] compressing $(du -sh "$stage" | cut -f1) (xz, a few minutes on 2 cores)"
tar -C "$stage" -cf - bin lib | xz -9 -T0 > .gpu-bundle/tilec-gpu.tar.xz.part
mv .gpu-bundle/tilec-gpu.tar.xz.part .gpu-bundle/tilec-gpu.tar.xz
git describe --always --dirty > .gpu-bundle/commit
# The device tool carries at most 64 MiB with the working tree (about 3 MiB).
size=$(stat -c %s .gpu-bundle/tilec-gpu.tar.xz)
[ "$size" -lt $((60 << 20)) ] ||
  echo "[bundle] warning: $((size >> 20)) MiB leaves too little room under the device tool's 64 MiB" >&2
echo "[bundle] wrote .gpu-bundle/tilec-gpu.tar.xz ($(du -h .gpu-bundle/tilec-gpu.tar.xz | cut -f1)) for commit $(cat .gpu-bundle/commit)"
ls "$stage/lib"
