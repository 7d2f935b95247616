//===- Commands.h - the tilec subcommands -----------------------*- C++ -*-===//

#ifndef TILEC_TOOLS_COMMANDS_H
#define TILEC_TOOLS_COMMANDS_H

#include <string>
#include <vector>

namespace tilec::cli {

/// Each returns the process exit code: 0 success, 1 failure, 2 usage error.
int modelsCommand(const std::vector<std::string> &args);
int infoCommand(const std::vector<std::string> &args);
int runCommand(const std::vector<std::string> &args);
int emitCommand(const std::vector<std::string> &args);
int exportCommand(const std::vector<std::string> &args);

} // namespace tilec::cli

#endif // TILEC_TOOLS_COMMANDS_H
