//===- Database.cpp - SQLite storage of tuning records --------------------===//
//
// Schema history (each step is one migration, applied in order inside one
// transaction; `PRAGMA user_version` holds the version reached):
//   1  records(fingerprint, signature, codegen_version, schedule, status,
//      median_us, times_us, error, created_at, machine, tilec_commit)
//   2  + root_kind, loops (the root's loop sizes, for seeding nearby shapes)
//      + an index on the key and time
//
//===----------------------------------------------------------------------===//

#include "autotune/Database.h"

#include "llvm/Support/JSON.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <map>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef TILEC_COMMIT
#define TILEC_COMMIT "unknown"
#endif

using namespace tilec::autotune;

namespace {

const char *const kMigrations[] = {
    // 0 -> 1
    "CREATE TABLE records("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL, signature TEXT NOT NULL, codegen_version TEXT NOT NULL,"
    "  schedule TEXT NOT NULL, status TEXT NOT NULL, median_us REAL,"
    "  times_us TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL, machine TEXT NOT NULL, tilec_commit TEXT NOT NULL);",
    // 1 -> 2
    "ALTER TABLE records ADD COLUMN root_kind TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE records ADD COLUMN loops TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX records_by_key ON records(fingerprint, signature, codegen_version, status,"
    "  median_us);",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

const char *const kColumns =
    "id, fingerprint, signature, codegen_version, schedule, status, median_us, times_us, error,"
    " root_kind, loops, created_at, machine, tilec_commit";

std::string timesToJson(const std::vector<double> &times) {
  llvm::json::Array a;
  for (double t : times)
    a.push_back(t);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::json::Value(std::move(a));
  return s;
}

std::vector<double> timesFromJson(const std::string &text) {
  std::vector<double> times;
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(text);
  if (!v) {
    llvm::consumeError(v.takeError());
    return times;
  }
  if (const llvm::json::Array *a = v->getAsArray())
    for (const llvm::json::Value &t : *a)
      if (std::optional<double> d = t.getAsNumber())
        times.push_back(*d);
  return times;
}

std::string column(sqlite3_stmt *stmt, int i) {
  const unsigned char *text = sqlite3_column_text(stmt, i);
  return text ? reinterpret_cast<const char *>(text) : "";
}

} // namespace

std::string tilec::autotune::utcNow() {
  std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buffer;
}

std::optional<tilec::codegen::Schedule>
tilec::autotune::tunedSchedule(Database &db, const std::string &fingerprint,
                               const std::string &signature) {
  std::optional<Record> best = db.best({fingerprint, signature, codegen::kCodegenVersion});
  std::string ignored;
  return best ? codegen::parseSchedule(best->schedule, ignored) : std::nullopt;
}

std::string tilec::autotune::machineDescription() {
  utsname u{};
  if (uname(&u) != 0)
    return "unknown";
  return std::string(u.nodename) + " / " + u.sysname + " " + u.release;
}

std::unique_ptr<Database> Database::open(const std::string &path, std::string &error) {
  sqlite3 *handle = nullptr;
  if (sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    error = "cannot open tuning database '" + path +
            "': " + (handle ? sqlite3_errmsg(handle) : "out of memory");
    sqlite3_close(handle);
    return nullptr;
  }
  std::unique_ptr<Database> db(new Database(handle));
  // Another process (a second tuner, `tilec db stats`) may hold the write lock
  // for a moment: wait for it rather than fail.
  sqlite3_busy_timeout(handle, 10000);
  std::string why;
  // WAL: a commit is one append to the log, readers never block the writer,
  // and a killed writer leaves the last committed state intact. synchronous=FULL
  // makes each commit durable (a machine crash keeps it too).
  if (!db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", why) || !db->migrate(why)) {
    error = "tuning database '" + path + "': " + why;
    return nullptr;
  }
  return db;
}

Database::~Database() { sqlite3_close(db); }

bool Database::exec(const std::string &sql, std::string &error) {
  char *message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK)
    return true;
  error = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  if (error.find("file is not a database") != std::string::npos)
    error += " (is this a tilec tuning database?)";
  return false;
}

int Database::schemaVersion() {
  sqlite3_stmt *stmt = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return version;
}

bool Database::migrate(std::string &error) {
  int version = schemaVersion();
  if (version < 0)
    return error = sqlite3_errmsg(db), false;
  if (version > kSchemaVersion) {
    error = "schema version " + std::to_string(version) + " is newer than this tilec's (" +
            std::to_string(kSchemaVersion) + "); use a newer tilec";
    return false;
  }
  for (; version < kSchemaVersion; ++version) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[version] +
                      "PRAGMA user_version=" + std::to_string(version + 1) + ";COMMIT;";
    if (!exec(sql, error)) {
      std::string ignored;
      exec("ROLLBACK;", ignored);
      error = "migrating the schema to version " + std::to_string(version + 1) + ": " + error;
      return false;
    }
  }
  return true;
}

bool Database::insert(Record r, std::string &error) {
  if (r.createdAt.empty())
    r.createdAt = utcNow();
  if (r.machine.empty())
    r.machine = machineDescription();
  if (r.commit.empty())
    r.commit = TILEC_COMMIT;
  const char *sql =
      "INSERT INTO records(fingerprint, signature, codegen_version, schedule, status, median_us,"
      " times_us, error, root_kind, loops, created_at, machine, tilec_commit)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK)
    return error = sqlite3_errmsg(db), false;
  std::string times = timesToJson(r.timesUs);
  const std::string *texts[] = {&r.key.fingerprint, &r.key.signature, &r.key.codegenVersion,
                                &r.schedule, &r.status};
  int i = 1;
  for (const std::string *t : texts)
    sqlite3_bind_text(stmt, i++, t->c_str(), -1, SQLITE_TRANSIENT);
  if (r.valid())
    sqlite3_bind_double(stmt, i++, r.medianUs);
  else
    sqlite3_bind_null(stmt, i++);
  for (const std::string *t :
       {&times, &r.error, &r.rootKind, &r.loops, &r.createdAt, &r.machine, &r.commit})
    sqlite3_bind_text(stmt, i++, t->c_str(), -1, SQLITE_TRANSIENT);
  // One statement outside an explicit transaction is its own transaction.
  int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    return error = std::string("storing a tuning record: ") + sqlite3_errmsg(db), false;
  return true;
}

std::vector<Record> Database::query(const std::string &sql,
                                    const std::vector<std::string> &params) {
  std::vector<Record> out;
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return out;
  for (size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(stmt, int(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    Record r;
    r.id = sqlite3_column_int64(stmt, 0);
    r.key = {column(stmt, 1), column(stmt, 2), column(stmt, 3)};
    r.schedule = column(stmt, 4);
    r.status = column(stmt, 5);
    r.medianUs = sqlite3_column_double(stmt, 6);
    r.timesUs = timesFromJson(column(stmt, 7));
    r.error = column(stmt, 8);
    r.rootKind = column(stmt, 9);
    r.loops = column(stmt, 10);
    r.createdAt = column(stmt, 11);
    r.machine = column(stmt, 12);
    r.commit = column(stmt, 13);
    out.push_back(std::move(r));
  }
  sqlite3_finalize(stmt);
  return out;
}

std::optional<Record> Database::best(const RecordKey &key) {
  std::vector<Record> r =
      query(std::string("SELECT ") + kColumns +
                " FROM records WHERE fingerprint=? AND signature=? AND codegen_version=? AND"
                " status='ok' ORDER BY median_us, id LIMIT 1",
            {key.fingerprint, key.signature, key.codegenVersion});
  if (r.empty())
    return std::nullopt;
  return r.front();
}

std::vector<Record> Database::records(const RecordKey &key) {
  return query(std::string("SELECT ") + kColumns +
                   " FROM records WHERE fingerprint=? AND signature=? AND codegen_version=?"
                   " ORDER BY id",
               {key.fingerprint, key.signature, key.codegenVersion});
}

std::vector<Record> Database::bestPerKey(const std::string &fingerprint,
                                         const std::string &codegenVersion) {
  // SQLite returns the bare columns of the row that holds MIN().
  return query(std::string("SELECT ") + kColumns +
                   ", MIN(median_us) FROM records WHERE fingerprint=? AND codegen_version=? AND"
                   " status='ok' GROUP BY signature ORDER BY signature",
               {fingerprint, codegenVersion});
}

std::vector<Record> Database::validRecords(const std::string &fingerprint,
                                           const std::string &codegenVersion) {
  return query(std::string("SELECT ") + kColumns +
                   " FROM records WHERE fingerprint=? AND codegen_version=? AND status='ok'"
                   " ORDER BY id",
               {fingerprint, codegenVersion});
}

std::vector<Record> Database::all() {
  return query(std::string("SELECT ") + kColumns + " FROM records ORDER BY id", {});
}

Database::Stats Database::stats() {
  Stats s;
  auto counts = [&](const char *field) {
    std::vector<std::pair<std::string, int64_t>> out;
    sqlite3_stmt *stmt = nullptr;
    std::string sql = std::string("SELECT ") + field + ", COUNT(*) FROM records GROUP BY " + field +
                      " ORDER BY COUNT(*) DESC";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK)
      while (sqlite3_step(stmt) == SQLITE_ROW)
        out.emplace_back(column(stmt, 0), sqlite3_column_int64(stmt, 1));
    sqlite3_finalize(stmt);
    return out;
  };
  s.byFingerprint = counts("fingerprint");
  s.byStatus = counts("status");
  s.byVersion = counts("codegen_version");
  for (const auto &[status, n] : s.byStatus) {
    s.records += n;
    if (status == "ok")
      s.valid += n;
  }
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT COUNT(*) FROM (SELECT DISTINCT fingerprint, signature,"
                         " codegen_version FROM records)",
                         -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    s.keys = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return s;
}

int64_t Database::merge(Database &other, std::string &error) {
  std::map<RecordKey, Record> incoming;
  for (Record &r : other.all())
    if (r.valid()) {
      auto [it, fresh] = incoming.try_emplace(r.key, r);
      if (!fresh && r.medianUs < it->second.medianUs)
        it->second = r;
    }
  int64_t added = 0;
  if (!exec("BEGIN IMMEDIATE;", error))
    return -1;
  for (auto &[key, r] : incoming) {
    std::optional<Record> mine = best(key);
    if (mine && mine->medianUs <= r.medianUs)
      continue;
    if (!insert(r, error)) {
      std::string ignored;
      exec("ROLLBACK;", ignored);
      return -1;
    }
    ++added;
  }
  return exec("COMMIT;", error) ? added : -1;
}

int64_t Database::prune(int keep, bool dropOtherVersions, const std::string &currentVersion,
                        std::string &error) {
  int64_t before = sqlite3_total_changes64(db);
  std::string sql = "BEGIN IMMEDIATE; DELETE FROM records WHERE status != 'ok';"
                    "DELETE FROM records WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER()"
                    " OVER (PARTITION BY fingerprint, signature, codegen_version ORDER BY"
                    " median_us, id) AS rank FROM records) WHERE rank > " +
                    std::to_string(keep) + ");";
  if (dropOtherVersions) {
    char *quoted = sqlite3_mprintf("%Q", currentVersion.c_str());
    sql += std::string("DELETE FROM records WHERE codegen_version != ") + quoted + ";";
    sqlite3_free(quoted);
  }
  sql += "COMMIT;";
  if (!exec(sql, error)) {
    std::string ignored;
    exec("ROLLBACK;", ignored);
    return -1;
  }
  int64_t deleted = sqlite3_total_changes64(db) - before;
  exec("VACUUM;", error);
  return deleted;
}

std::string Database::integrityCheck() {
  sqlite3_stmt *stmt = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK)
    while (sqlite3_step(stmt) == SQLITE_ROW)
      result += (result.empty() ? "" : "; ") + column(stmt, 0);
  else
    result = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return result;
}

std::string Database::toJson(const Record &r) {
  llvm::json::Array times;
  for (double t : r.timesUs)
    times.push_back(t);
  llvm::json::Object o{{"fingerprint", r.key.fingerprint},
                       {"signature", r.key.signature},
                       {"codegen_version", r.key.codegenVersion},
                       {"schedule", r.schedule},
                       {"status", r.status},
                       {"median_us", r.medianUs},
                       {"times_us", std::move(times)},
                       {"error", r.error},
                       {"root_kind", r.rootKind},
                       {"loops", r.loops},
                       {"created_at", r.createdAt},
                       {"machine", r.machine},
                       {"tilec_commit", r.commit}};
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::json::Value(std::move(o));
  return s;
}

std::optional<Record> Database::fromJson(const std::string &line, std::string &error) {
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(line);
  if (!v) {
    error = "not JSON: " + llvm::toString(v.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    return error = "expected one JSON object per line", std::nullopt;
  Record r;
  auto text = [&](const char *name, std::string &out, bool required) {
    if (std::optional<llvm::StringRef> s = o->getString(name)) {
      out = s->str();
      return true;
    }
    if (required)
      error = std::string("missing string field '") + name + "'";
    return !required;
  };
  if (!text("fingerprint", r.key.fingerprint, true) || !text("signature", r.key.signature, true) ||
      !text("codegen_version", r.key.codegenVersion, true) || !text("schedule", r.schedule, true) ||
      !text("status", r.status, true))
    return std::nullopt;
  for (auto [name, out] : {std::pair{"error", &r.error},
                           {"root_kind", &r.rootKind},
                           {"loops", &r.loops},
                           {"created_at", &r.createdAt},
                           {"machine", &r.machine},
                           {"tilec_commit", &r.commit}})
    text(name, *out, false);
  if (const llvm::json::Array *a = o->getArray("times_us"))
    for (const llvm::json::Value &t : *a)
      if (std::optional<double> d = t.getAsNumber())
        r.timesUs.push_back(*d);
  r.medianUs = o->getNumber("median_us").value_or(0);
  if (r.valid() && !(r.medianUs > 0))
    return error = "a record with status ok needs median_us > 0", std::nullopt;
  return r;
}
