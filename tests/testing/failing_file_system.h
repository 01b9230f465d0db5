#ifndef KETENHUB_TESTS_TESTING_FAILING_FILE_SYSTEM_H_
#define KETENHUB_TESTS_TESTING_FAILING_FILE_SYSTEM_H_

#include <atomic>
#include <memory>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ketenhub::testing {

// The local file system, except that while failing is switched on every
// write and sync of a RocksDB write-ahead log fails, as a full or broken disk
// would make them; and while tables_full is, every write of a table (SST)
// file fails as a full disk does (NoSpace), which fails flushes but not the
// log. For fail-closed and recovery tests.
class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FailingFileSystem();
  static const char* kClassName() { return "KetenHubFailingFileSystem"; }
  const char* Name() const override { return kClassName(); }

  void SetFailing(bool failing) { failing_->store(failing); }
  void SetTablesFull(bool full) { tables_full_->store(full); }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;

 private:
  std::shared_ptr<std::atomic<bool>> failing_;
  std::shared_ptr<std::atomic<bool>> tables_full_;
};

// An Env over `file_system`, for SignalStore::Options::env.
std::unique_ptr<rocksdb::Env> EnvOver(
    const std::shared_ptr<rocksdb::FileSystem>& file_system);

}  // namespace ketenhub::testing

namespace ketenhub::testing {

// The local file system with a power switch: after CutPower every write and
// sync fails, and DropUnsynced then truncates each file written through it
// to what was last synced, as a machine that lost power would find its
// disk. For durability tests.
class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem();
  static const char* kClassName() { return "KetenHubPowerLossFileSystem"; }
  const char* Name() const override { return kClassName(); }

  void CutPower();
  // Truncates every tracked file to its synced size; power is back after.
  void DropUnsynced();

  struct State;

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus RenameFile(const std::string& source,
                               const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_FAILING_FILE_SYSTEM_H_
