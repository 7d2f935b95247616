# Sourced by the device scripts (run_on_device.sh, ab_schedule.sh): sets $bin
# to the folder holding tilec, tilec-conformance and the cuBLAS/cuDNN
# baselines, and PATH / LD_LIBRARY_PATH so that they run. From the file
# tests/gpu/bundle.sh wrote (.gpu-bundle/, carried to a GPU machine without
# LLVM/MLIR 19) when it is there, else built here. Expects log() and $out.
export PATH="/usr/local/cuda/bin:$PATH"
if [ -f .gpu-bundle/tilec-gpu.tar.xz ]; then
  bundle=/tmp/tilec-gpu
  rm -rf "$bundle" && mkdir -p "$bundle"
  { if command -v xz > /dev/null; then xz -dc .gpu-bundle/tilec-gpu.tar.xz | tar -C "$bundle" -xf -
    else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .gpu-bundle/tilec-gpu.tar.xz "$bundle"; fi; } ||
    { log "could not unpack .gpu-bundle/tilec-gpu.tar.xz"; exit 1; }
  bin="$bundle/bin"
  # cuBLAS and cuDNN for the baselines: the toolkit's, else the Python wheels'.
  cuda_libs=/usr/local/cuda/lib64:/usr/local/cuda/lib:/usr/local/cuda/targets/x86_64-linux/lib
  nv=$(python3 -c 'import nvidia; print(list(nvidia.__path__)[0])' 2>/dev/null || true)
  for d in "$nv"/*/lib; do [ -d "$d" ] && cuda_libs="$cuda_libs:$d"; done
  export LD_LIBRARY_PATH="$bundle/lib:$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$bin:$PATH"
  log "programs from .gpu-bundle (commit $(cat .gpu-bundle/commit 2>/dev/null || echo unknown))"
  # A bundle left from an earlier commit runs that commit's compiler (where
  # git is here to tell).
  head=$(git rev-parse --short HEAD 2>/dev/null || true)
  built=$(sed 's/-dirty$//' .gpu-bundle/commit 2>/dev/null || true)
  if [ -n "$head" ] && [ -n "$built" ] && [ "$head" != "$built" ]; then
    log "WARNING: .gpu-bundle was built at $built but HEAD is $head: run tests/gpu/bundle.sh first"
  fi
else
  bin=build/bin
  scripts/build.sh tilec tilec-conformance tilec-cublas-gemm tilec-cudnn-conv > "$out/build.log" 2>&1 ||
    scripts/build.sh tilec tilec-conformance > "$out/build.log" 2>&1 ||
    { log "build failed"; tail -30 "$out/build.log"; exit 1; }
fi
command -v ptxas > /dev/null || log "ptxas not on PATH: CUDA compiles will fail"
if ! "$bin/tilec" --help > "$out/smoke.log" 2>&1; then
  log "tilec does not start here:"; cat "$out/smoke.log"; ldd "$bin/tilec" | grep 'not found'; exit 1
fi
