//===- Fingerprint.cpp - machine class of a tuning record -----------------===//

#include "autotune/Fingerprint.h"

#include "tilec/runtime.h"

#include <fstream>
#include <thread>

using namespace tilec;

namespace {

std::string cpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      std::string name = colon == std::string::npos ? "" : line.substr(colon + 1);
      size_t first = name.find_first_not_of(' ');
      return first == std::string::npos ? "unknown" : name.substr(first);
    }
  return "unknown";
}

} // namespace

std::string tilec::autotune::fingerprint(const codegen::Target &target, int threads,
                                         std::string &error) {
  if (target.simt) {
    error = "tuning the simt target is not supported: it runs GPU schedules on the CPU to "
            "check their tiling, and its timings mean nothing for either; tune cpu instead";
    return "";
  }
  if (target.kind != codegen::TargetKind::Cpu) {
    // A GPU's records hold for that GPU model (the host CPU and thread
    // count do not matter): the target and device 0's name.
    char name[256] = {0};
    if (tilec_status *s = tilec_gpu_device(target.str().c_str(), name, sizeof(name))) {
      error = "tuning " + target.str() + " measures kernels on that GPU, and there is none here (" +
              tilec_status_message(s) + "); compile with default schedules instead";
      tilec_status_free(s);
      return "";
    }
    return target.str() + "|" + name;
  }
  std::string isa;
  for (const char *feature : {"avx512f", "avx512bf16", "avx512vnni", "avx2", "fma"})
    if (("," + target.features + ",").find(std::string(",+") + feature + ",") != std::string::npos)
      isa += (isa.empty() ? "" : ",") + std::string(feature);
  if (threads <= 0)
    threads = int(std::max(1u, std::thread::hardware_concurrency()));
  return target.str() + "|" + cpuModelName() + "|" + (isa.empty() ? "scalar" : isa) + "|t" +
         std::to_string(threads);
}
