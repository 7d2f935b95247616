//===- GpuToolchain.cpp - the CUDA and ROCm tools the GPU backend runs ----===//
//
// See GpuToolchain.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuToolchain.h"

#include "codegen/cpu/CpuBackend.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <fstream>
#include <unistd.h>

using namespace tilec::codegen;

std::string tilec::codegen::summarizePtxas(llvm::StringRef log) {
  std::string registers, spills, advisories;
  llvm::SmallVector<llvm::StringRef> lines;
  log.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    line = line.trim();
    if (size_t at = line.find("Used "); at != llvm::StringRef::npos && line.contains(" registers"))
      registers = line.substr(at + 5).split(' ').first.str();
    if (size_t at = line.find(" bytes spill stores"); at != llvm::StringRef::npos) {
      llvm::StringRef bytes = line.substr(0, at).rsplit(' ').second;
      spills = bytes == "0" ? "no spills" : bytes.str() + " bytes spilled";
    }
    if (size_t at = line.find("(C7"); at != llvm::StringRef::npos)
      advisories += "ptxas: " + line.substr(at).str() + "; ";
  }
  if (registers.empty())
    return advisories;
  return "ptxas: " + registers + " registers" + (spills.empty() ? "" : ", " + spills) + "; " +
         advisories;
}

bool tilec::codegen::assemblePtx(const std::string &ptx, const std::string &arch,
                                 const std::string &work, std::string &cubin,
                                 std::string &report, std::string &error) {
  std::string ptxas = findTool({"ptxas", "/usr/local/cuda/bin/ptxas"});
  if (ptxas.empty())
    return error = "ptxas not found; install the CUDA toolkit (/usr/local/cuda/bin)", false;
  std::string in = work + ".ptx", out = work + ".cubin", log = work + ".log";
  std::ofstream(in) << ptx;
  std::string message;
  llvm::SmallVector<llvm::StringRef> args = {ptxas, "-arch", arch, "-O3", "-v", in, "-o", out};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0, 0, &message);
  auto buffer = llvm::MemoryBuffer::getFile(out);
  auto text = llvm::MemoryBuffer::getFile(log);
  std::string said = text ? (*text)->getBuffer().str() : "";
  llvm::sys::fs::remove(in);
  llvm::sys::fs::remove(out);
  llvm::sys::fs::remove(log);
  if (rc != 0 || !buffer)
    return error = "ptxas failed for " + arch + " (" + std::to_string(rc) + ") " + message +
                   (said.empty() ? "" : ":\n" + said),
           false;
  cubin = (*buffer)->getBuffer().str();
  report = summarizePtxas(said);
  return true;
}

std::string tilec::codegen::rocmToolkit(std::string &error) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tilec-rocm-toolkit-" + std::to_string(::getpid()));
  std::string root = dir.str().str();
  std::string lld = findTool({"/usr/lib/llvm-19/bin/ld.lld", "ld.lld-19", "ld.lld"});
  std::string bitcode = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
  if (lld.empty() || !llvm::sys::fs::exists(bitcode + "/ocml.bc")) {
    error = "ROCm code generation needs ld.lld and the ROCm device libraries "
            "(Debian packages lld-19 and rocm-device-libs; scripts/setup.sh installs them)";
    return "";
  }
  llvm::sys::fs::create_directories(root + "/llvm/bin");
  llvm::sys::fs::create_directories(root + "/amdgcn");
  llvm::sys::fs::create_link(lld, root + "/llvm/bin/ld.lld");
  llvm::sys::fs::create_link(bitcode, root + "/amdgcn/bitcode");
  return root;
}
