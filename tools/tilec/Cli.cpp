//===- Cli.cpp - the small argument parser of the tilec command -----------===//

#include "tools/tilec/Cli.h"

#include <charconv>
#include <iostream>
#include <sstream>

using namespace tilec::cli;

ArgParser::ArgParser(std::string command, std::string positionalUsage, std::string description)
    : command(std::move(command)), positionalUsage(std::move(positionalUsage)),
      description(std::move(description)) {
  flag("help", "show this help and exit");
}

void ArgParser::flag(const std::string &name, const std::string &help) {
  specs.push_back({name, "", help, std::nullopt, false, false});
}

void ArgParser::option(const std::string &name, const std::string &valueName,
                       const std::string &help, std::optional<std::string> defaultValue,
                       bool repeatable) {
  specs.push_back({name, valueName, help, std::move(defaultValue), true, repeatable});
}

const ArgParser::Spec *ArgParser::find(const std::string &name) const {
  for (const Spec &s : specs)
    if (s.name == name)
      return &s;
  return nullptr;
}

void ArgParser::error(const std::string &message) const {
  std::cerr << command << ": error: " << message << "\n"
            << "Run '" << command << " --help' for usage.\n";
}

bool ArgParser::parse(const std::vector<std::string> &args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      positional.push_back(arg);
      continue;
    }
    // "--name" and "-name" are the same option (so "-o file" reads naturally).
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1), value;
    bool inlineValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    const Spec *spec = find(name);
    if (!spec) {
      error("unknown option '--" + name + "'");
      code = 2;
      return false;
    }
    if (!spec->takesValue) {
      if (inlineValue) {
        error("option '--" + name + "' takes no value");
        code = 2;
        return false;
      }
      values[name].push_back("1");
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= args.size()) {
        error("option '--" + name + "' needs a value <" + spec->valueName + ">");
        code = 2;
        return false;
      }
      value = args[++i];
    }
    if (!spec->repeatable && values.count(name)) {
      error("option '--" + name + "' given twice");
      code = 2;
      return false;
    }
    values[name].push_back(value);
  }
  if (has("help")) {
    std::cout << help();
    code = 0;
    return false;
  }
  return true;
}

bool ArgParser::has(const std::string &name) const { return values.count(name) > 0; }

std::string ArgParser::get(const std::string &name) const {
  if (auto it = values.find(name); it != values.end())
    return it->second.back();
  const Spec *spec = find(name);
  return spec && spec->defaultValue ? *spec->defaultValue : "";
}

std::vector<std::string> ArgParser::getAll(const std::string &name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

bool ArgParser::expectOnePositional(const std::string &what) const {
  if (positional.size() == 1)
    return true;
  error("expects exactly one " + what + ", got " + std::to_string(positional.size()));
  return false;
}

std::optional<int64_t> ArgParser::getInt(const std::string &name, int64_t min,
                                         int64_t max) const {
  std::string text = get(name);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    error("--" + name + " must be an integer in [" + std::to_string(min) + ", " +
          std::to_string(max) + "], got '" + text + "'");
    return std::nullopt;
  }
  return value;
}

std::string ArgParser::help() const {
  std::ostringstream os;
  os << "Usage: " << command << (positionalUsage.empty() ? "" : " " + positionalUsage)
     << " [options]\n\n"
     << description << "\n\nOptions:\n";
  for (const Spec &s : specs) {
    std::string left = (s.name.size() == 1 ? "  -" : "  --") + s.name + (s.takesValue ? " <" + s.valueName + ">" : "");
    os << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help;
    if (s.defaultValue)
      os << " (default: " << *s.defaultValue << ")";
    if (s.repeatable)
      os << " (repeatable)";
    os << "\n";
  }
  return os.str();
}
