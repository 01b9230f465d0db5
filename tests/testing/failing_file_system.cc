#include "tests/testing/failing_file_system.h"

#include "absl/strings/match.h"

namespace ketenhub::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

class FailingLogFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingLogFile(std::unique_ptr<rocksdb::FSWritableFile> file,
                 std::shared_ptr<std::atomic<bool>> failing)
      : FSWritableFileOwnerWrapper(std::move(file)),
        failing_(std::move(failing)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* debug) override {
    if (failing_->load()) return Injected();
    return target()->Append(data, options, debug);
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  IODebugContext* debug) override {
    if (failing_->load()) return Injected();
    return target()->Append(data, options, info, debug);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* debug) override {
    if (failing_->load()) return Injected();
    return target()->Sync(options, debug);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* debug) override {
    if (failing_->load()) return Injected();
    return target()->Fsync(options, debug);
  }

 private:
  static IOStatus Injected() { return IOStatus::IOError("injected failure"); }

  std::shared_ptr<std::atomic<bool>> failing_;
};

}  // namespace

FailingFileSystem::FailingFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()),
      failing_(std::make_shared<std::atomic<bool>>(false)) {}

IOStatus FailingFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  IOStatus s = target()->NewWritableFile(name, options, result, debug);
  if (s.ok() && absl::EndsWith(name, ".log"))
    *result = std::make_unique<FailingLogFile>(std::move(*result), failing_);
  return s;
}

IOStatus FailingFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  IOStatus s =
      target()->ReuseWritableFile(name, old_name, options, result, debug);
  if (s.ok() && absl::EndsWith(name, ".log"))
    *result = std::make_unique<FailingLogFile>(std::move(*result), failing_);
  return s;
}

std::unique_ptr<rocksdb::Env> EnvOver(
    const std::shared_ptr<rocksdb::FileSystem>& file_system) {
  return rocksdb::NewCompositeEnv(file_system);
}

}  // namespace ketenhub::testing
