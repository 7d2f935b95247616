//===- main.cpp - the tilec command line ----------------------------------===//
//
// `tilec <command> [args]`; `tilec --help` lists the commands and every command
// has its own --help. Exit codes: 0 success, 1 failure, 2 usage error.
//
//===----------------------------------------------------------------------===//

#include "tools/tilec/Commands.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#ifndef TILEC_VERSION
#define TILEC_VERSION "unknown"
#endif

namespace {

struct Command {
  const char *name;
  const char *summary;
  int (*run)(const std::vector<std::string> &);
};

const Command kCommands[] = {
    {"models", "list the model zoo: parameters, MACs, input size", tilec::cli::modelsCommand},
    {"info", "per-layer table of a model: op, output shape, parameters, MACs",
     tilec::cli::infoCommand},
    {"run", "run an artifact, or a model on the reference interpreter; print top classes",
     tilec::cli::runCommand},
    {"emit", "write a model's graph as MLIR text or bytecode", tilec::cli::emitCommand},
    {"export", "write a model with its weights as ONNX (opset 17)", tilec::cli::exportCommand},
    {"compile", "compile a model for cpu, cuda:sm_XX or rocm:gfxXXX into one artifact",
     tilec::cli::compileCommand},
    {"bench", "measure a compiled artifact: median and p90 latency, throughput",
     tilec::cli::benchCommand},
    {"tune", "tune a model's kernels on this machine into a tuning database",
     tilec::cli::tuneCommand},
    {"db", "inspect, merge, export, import and prune tuning databases", tilec::cli::dbCommand},
    {"optimize", "run the graph pipeline (BN folding, fusion, memory plan) and report it",
     tilec::cli::optimizeCommand},
};

void printUsage(FILE *out) {
  std::fprintf(out, "tilec %s: ahead-of-time compiler and auto-tuner for vision networks\n\n"
                    "Usage: tilec <command> [options]\n\nCommands:\n",
               TILEC_VERSION);
  for (const Command &c : kCommands)
    std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'tilec <command> --help' for a command's options.\n");
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("tilec %s\n", TILEC_VERSION);
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command &c : kCommands)
    if (name == c.name)
      return c.run(args);
  if (name == "tune-worker")
    return tilec::cli::tuneWorkerCommand(args);
  std::fprintf(stderr, "tilec: error: unknown command '%s'\n\n", name.c_str());
  printUsage(stderr);
  return 2;
}
