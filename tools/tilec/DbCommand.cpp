//===- DbCommand.cpp - `tilec db`: look after tuning databases ------------===//

#include "autotune/Database.h"
#include "codegen/common/Schedule.h"
#include "tools/tilec/Cli.h"
#include "tools/tilec/Commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <tuple>

using namespace tilec;
using namespace tilec::cli;
using autotune::Database;
using autotune::Record;

namespace {

std::unique_ptr<Database> openOrSay(const std::string &path, bool mustExist) {
  std::string error;
  if (mustExist && !std::ifstream(path)) {
    std::fprintf(stderr, "tilec db: error: no database at '%s'\n", path.c_str());
    return nullptr;
  }
  std::unique_ptr<Database> db = Database::open(path, error);
  if (!db)
    std::fprintf(stderr, "tilec db: error: %s\n", error.c_str());
  return db;
}

int stats(Database &db, const std::string &path) {
  Database::Stats s = db.stats();
  std::printf("%s: schema %d, integrity %s\n", path.c_str(), db.schemaVersion(),
              db.integrityCheck().c_str());
  std::printf("records %lld (%lld valid) for %lld keys (fingerprint, dispatch, codegen version)\n",
              (long long)s.records, (long long)s.valid, (long long)s.keys);
  auto list = [](const std::string &title, const auto &rows) {
    std::printf("%s:\n", title.c_str());
    for (const auto &[name, n] : rows)
      std::printf("  %8lld  %s\n", (long long)n, name.c_str());
  };
  list("by status", s.byStatus);
  list("by machine fingerprint", s.byFingerprint);
  list("by codegen version (this tilec: " + std::string(codegen::kCodegenVersion) + ")",
       s.byVersion);
  return 0;
}

int importFile(Database &db, const std::string &file) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "tilec db import: error: cannot read '%s'\n", file.c_str());
    return 1;
  }
  // Importing the same export twice must not duplicate records.
  using Identity =
      std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
  std::set<Identity> present;
  auto identity = [](const Record &r) {
    return Identity{r.key.fingerprint, r.key.signature, r.key.codegenVersion,
                    r.schedule,        r.status,        r.createdAt};
  };
  for (const Record &r : db.all())
    present.insert(identity(r));
  std::string line, error;
  int added = 0, skipped = 0, lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::optional<Record> r = Database::fromJson(line, error);
    if (!r) {
      std::fprintf(stderr, "tilec db import: error: %s:%d: %s (nothing after it imported)\n",
                   file.c_str(), lineNo, error.c_str());
      return 1;
    }
    if (!present.insert(identity(*r)).second) {
      ++skipped;
      continue;
    }
    if (!db.insert(*r, error)) {
      std::fprintf(stderr, "tilec db import: error: %s\n", error.c_str());
      return 1;
    }
    ++added;
  }
  std::printf("imported %d records (%d already present)\n", added, skipped);
  return 0;
}

} // namespace

int tilec::cli::dbCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec db", "stats|check|export|import|merge|prune <db> [args]",
                   "Inspects and maintains tuning databases:\n"
                   "  stats  <db>                  record counts by status, machine, version\n"
                   "  check  <db>                  SQLite integrity check (exit 1 if damaged)\n"
                   "  export <db> [-o f.jsonl]     every record as one JSON object per line\n"
                   "  import <db> <f.jsonl>        add exported records (duplicates skipped)\n"
                   "  merge  <db> <other.db>...    keep the best valid record per key\n"
                   "  prune  <db> [--keep N]       drop failed records and all but the N best\n"
                   "                               per key");
  parser.option("o", "file", "export: write here instead of stdout");
  parser.option("keep", "N", "prune: valid records kept per key", "1");
  parser.flag("drop-other-versions",
              "prune: also drop records of other codegen versions than this tilec's");
  if (!parser.parse(args))
    return parser.exitCode();
  const std::vector<std::string> &pos = parser.positionals();
  if (pos.size() < 2) {
    parser.error("expects an action and a database, e.g. 'tilec db stats tuning.db'");
    return 2;
  }
  const std::string &action = pos[0], &path = pos[1];
  static const std::set<std::string> actions = {"stats",  "check", "export",
                                                "import", "merge", "prune"};
  if (!actions.count(action)) {
    parser.error("unknown action '" + action + "'");
    return 2;
  }
  if ((action == "import" && pos.size() != 3) || (action == "merge" && pos.size() < 3)) {
    parser.error(action + " needs a second file");
    return 2;
  }
  std::unique_ptr<Database> db = openOrSay(path, action != "import" && action != "merge");
  if (!db)
    return 1;
  std::string error;
  if (action == "stats")
    return stats(*db, path);
  if (action == "check") {
    std::string result = db->integrityCheck();
    std::printf("%s: %s\n", path.c_str(), result.c_str());
    return result == "ok" ? 0 : 1;
  }
  if (action == "export") {
    std::ofstream file;
    if (parser.has("o"))
      file.open(parser.get("o"));
    std::ostream &out = parser.has("o") ? file : std::cout;
    size_t n = 0;
    for (const Record &r : db->all()) {
      out << Database::toJson(r) << "\n";
      ++n;
    }
    out.flush();
    if (parser.has("o"))
      std::fprintf(stderr, "exported %zu records to %s\n", n, parser.get("o").c_str());
    return out ? 0 : 1;
  }
  if (action == "import")
    return importFile(*db, pos[2]);
  if (action == "merge") {
    for (size_t i = 2; i < pos.size(); ++i) {
      std::unique_ptr<Database> other = openOrSay(pos[i], true);
      if (!other)
        return 1;
      int64_t added = db->merge(*other, error);
      if (added < 0) {
        std::fprintf(stderr, "tilec db merge: error: %s\n", error.c_str());
        return 1;
      }
      std::printf("%s: %lld better records added\n", pos[i].c_str(), (long long)added);
    }
    return 0;
  }
  std::optional<int64_t> keep = parser.getInt("keep", 1, 1000000);
  if (!keep)
    return 2;
  int64_t deleted =
      db->prune(int(*keep), parser.has("drop-other-versions"), codegen::kCodegenVersion, error);
  if (deleted < 0) {
    std::fprintf(stderr, "tilec db prune: error: %s\n", error.c_str());
    return 1;
  }
  std::printf("pruned %lld records\n", (long long)deleted);
  return 0;
}
