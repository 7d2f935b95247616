//===- Database.h - the tuning database (SQLite, one file) ------*- C++ -*-===//
//
// Every measurement the tuner makes is one row, committed in its own
// transaction as soon as it is measured: killing the tuner loses at most the
// measurement in flight. SQLite in WAL mode, so readers (`tilec compile --db`,
// `tilec db stats`) never block a running tuner.
//
// A record is keyed by
//   fingerprint      the machine it was measured on (Fingerprint.h)
//   signature        the dispatch signature (op kinds, shapes, attributes)
//   codegen_version  kCodegenVersion: what a schedule means to the code generator
// and holds the schedule, its status (ok, or why it failed: wrong, crash,
// timeout, compile_error), every measured time, the root's kind and loop sizes
// (for seeding nearby shapes) and provenance (date, machine, tilec commit).
//
// `best()` only ever returns a record with status ok whose key matches exactly,
// so records from another machine or code generator are never used silently.
//
// Example:
//   std::string error;
//   auto db = Database::open("tuning.db", error);
//   if (!db) report(error);
//   db->insert(record, error);
//   std::optional<Record> best = db->best({fingerprint, signature, kCodegenVersion});
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_DATABASE_H
#define TILEC_AUTOTUNE_DATABASE_H

#include "codegen/common/Schedule.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

struct sqlite3;

namespace tilec::autotune {

/// The schema this build writes. Older files are migrated on open; newer ones
/// are refused (a newer tilec wrote them).
inline constexpr int kSchemaVersion = 2;

struct RecordKey {
  std::string fingerprint, signature, codegenVersion;
  bool operator<(const RecordKey &o) const {
    return std::tie(fingerprint, signature, codegenVersion) <
           std::tie(o.fingerprint, o.signature, o.codegenVersion);
  }
  bool operator==(const RecordKey &o) const = default;
};

struct Record {
  int64_t id = 0; ///< set by the database
  RecordKey key;
  std::string schedule;
  std::string status = "ok";   ///< ok | wrong | crash | timeout | compile_error
  double medianUs = 0;         ///< meaningful when status is ok
  std::vector<double> timesUs; ///< every timed run
  std::string error;           ///< why it failed (empty when ok)
  std::string rootKind, loops; ///< e.g. "conv", "1x64x56x56x64x3x3"
  std::string createdAt, machine, commit;

  bool valid() const { return status == "ok"; }
};

class Database {
public:
  /// Opens (creating if needed) and migrates the file at `path`.
  static std::unique_ptr<Database> open(const std::string &path, std::string &error);
  ~Database();
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;

  /// Inserts one record in its own transaction (durable when this returns).
  /// Fills createdAt/machine/commit when empty.
  bool insert(Record record, std::string &error);

  /// The fastest valid record for exactly this key.
  std::optional<Record> best(const RecordKey &key);
  /// Every record (valid or not) for this key, oldest first.
  std::vector<Record> records(const RecordKey &key);
  /// The fastest valid record of every key measured on `fingerprint` with
  /// `codegenVersion` (for seeding new shapes and training the cost model).
  std::vector<Record> bestPerKey(const std::string &fingerprint, const std::string &codegenVersion);
  /// Every valid record of `fingerprint` and `codegenVersion`.
  std::vector<Record> validRecords(const std::string &fingerprint,
                                   const std::string &codegenVersion);
  /// Everything, for export and merge.
  std::vector<Record> all();

  struct Stats {
    int64_t records = 0, valid = 0, keys = 0;
    std::vector<std::pair<std::string, int64_t>> byFingerprint, byStatus, byVersion;
  };
  Stats stats();

  /// Adds, for each key of `other`, its best valid record when this database
  /// has none for that key or only slower ones. Returns how many were added.
  int64_t merge(Database &other, std::string &error);
  /// Keeps the `keep` fastest valid records per key; drops failed records, and
  /// with `dropOtherVersions` every record whose codegen version differs from
  /// `currentVersion`. Returns the number of rows deleted.
  int64_t prune(int keep, bool dropOtherVersions, const std::string &currentVersion,
                std::string &error);

  /// SQLite's `PRAGMA integrity_check` result ("ok" when healthy).
  std::string integrityCheck();
  int schemaVersion();

  /// One record as a JSON object on one line, and back.
  static std::string toJson(const Record &record);
  static std::optional<Record> fromJson(const std::string &line, std::string &error);

private:
  explicit Database(sqlite3 *db) : db(db) {}
  bool migrate(std::string &error);
  bool exec(const std::string &sql, std::string &error);
  std::vector<Record> query(const std::string &sql, const std::vector<std::string> &params);

  sqlite3 *db;
};

/// The schedule of the fastest valid record for `signature` measured on
/// `fingerprint` by this code generator (kCodegenVersion); what `tilec compile
/// --db` and the benchmarks use.
std::optional<codegen::Schedule> tunedSchedule(Database &db, const std::string &fingerprint,
                                               const std::string &signature);

/// A short description of this machine for provenance ("host / kernel").
std::string machineDescription();
/// ISO 8601 UTC now.
std::string utcNow();

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_DATABASE_H
