//===- Cli.h - the small argument parser of the tilec command ---*- C++ -*-===//
//
// `--name value`, `--name=value`, `-o value`, boolean `--flag`, positionals, and a generated
// `--help`. Every option is declared with its help text, so `--help` and
// docs/knobs.md can list the same thing.
//
// Example:
//   ArgParser args("tilec run", "<model|file.mlir>", "Runs a model.");
//   args.option("batch", "N", "batch size", "1");
//   args.flag("reference", "run on the reference interpreter");
//   if (!args.parse(argc, argv)) return args.exitCode();
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TOOLS_CLI_H
#define TILEC_TOOLS_CLI_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tilec::cli {

class ArgParser {
public:
  ArgParser(std::string command, std::string positionalUsage, std::string description);

  void flag(const std::string &name, const std::string &help);
  void option(const std::string &name, const std::string &valueName, const std::string &help,
              std::optional<std::string> defaultValue = std::nullopt, bool repeatable = false);

  /// Parses args (after the subcommand). Returns false when the command should
  /// stop: after printing --help (exitCode() 0) or an error (exitCode() 2).
  bool parse(const std::vector<std::string> &args);
  int exitCode() const { return code; }

  bool has(const std::string &name) const;
  std::string get(const std::string &name) const;
  std::vector<std::string> getAll(const std::string &name) const;
  const std::vector<std::string> &positionals() const { return positional; }
  /// True if exactly one positional argument was given; otherwise prints
  /// "expects exactly one <what>" and returns false.
  bool expectOnePositional(const std::string &what) const;
  /// The option as an integer in [min, max]; prints an error and returns nullopt
  /// if it is not one.
  std::optional<int64_t> getInt(const std::string &name, int64_t min, int64_t max) const;

  std::string help() const;
  /// Prints "tilec <command>: error: <message>" and a hint to use --help.
  void error(const std::string &message) const;

private:
  struct Spec {
    std::string name, valueName, help;
    std::optional<std::string> defaultValue;
    bool takesValue, repeatable;
  };
  const Spec *find(const std::string &name) const;

  std::string command, positionalUsage, description;
  std::vector<Spec> specs;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  int code = 0;
};

} // namespace tilec::cli

#endif // TILEC_TOOLS_CLI_H
