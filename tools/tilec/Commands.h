//===- Commands.h - the tilec subcommands -----------------------*- C++ -*-===//

#ifndef TILEC_TOOLS_COMMANDS_H
#define TILEC_TOOLS_COMMANDS_H

#include "passes/Pipeline.h"
#include "tools/tilec/Cli.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace tilec::cli {

/// Each returns the process exit code: 0 success, 1 failure, 2 usage error.
int modelsCommand(const std::vector<std::string> &args);
int infoCommand(const std::vector<std::string> &args);
int runCommand(const std::vector<std::string> &args);
int emitCommand(const std::vector<std::string> &args);
int exportCommand(const std::vector<std::string> &args);
int optimizeCommand(const std::vector<std::string> &args);
int compileCommand(const std::vector<std::string> &args);
int benchCommand(const std::vector<std::string> &args);
int tuneCommand(const std::vector<std::string> &args);
/// The measurement worker `tilec tune` starts (not listed in --help).
int tuneWorkerCommand(const std::vector<std::string> &args);
int dbCommand(const std::vector<std::string> &args);
/// `tilec run` on a compiled artifact (runCommand forwards here).
int runArtifactCommand(const std::vector<std::string> &args);
/// True if the file starts with the artifact magic bytes.
bool isArtifact(const std::string &path);

/// Adds --fusion and --layout, the graph pipeline's choices (`fusionDefault`
/// nullopt: --fusion has no default, as in `tilec run`, where giving it runs
/// the pipeline).
void addPipelineOptions(ArgParser &parser,
                        std::optional<std::string> fusionDefault = std::string("default"));
/// The pipeline options parsed; nullopt after an error message when a value is
/// not one of the allowed ones.
std::optional<GraphPipelineOptions> pipelineOptions(const ArgParser &parser);

/// Prints "layout     nhwc" (or nchw, with the reason layout=auto kept it) as
/// tilec-assign-layouts recorded it on the module's functions.
void printLayout(mlir::ModuleOp module);

/// Runs the graph pipeline on `module` (honours TILEC_DUMP_IR).
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module, const GraphPipelineOptions &options,
                                     std::string &error);

} // namespace tilec::cli

#endif // TILEC_TOOLS_COMMANDS_H
