#include "tests/testing/failing_file_system.h"

#include <unistd.h>

#include <map>
#include <mutex>

#include "absl/strings/match.h"

namespace ketenhub::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// A file whose writes and syncs fail while `failing` is set, with
// `injected`.
class FailingFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingFile(std::unique_ptr<rocksdb::FSWritableFile> file,
              std::shared_ptr<std::atomic<bool>> failing, IOStatus injected)
      : FSWritableFileOwnerWrapper(std::move(file)),
        failing_(std::move(failing)),
        injected_(std::move(injected)) {}

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
  IOStatus Injected() const { return injected_; }

  std::shared_ptr<std::atomic<bool>> failing_;
  const IOStatus injected_;
};

}  // namespace

FailingFileSystem::FailingFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()),
      failing_(std::make_shared<std::atomic<bool>>(false)),
      tables_full_(std::make_shared<std::atomic<bool>>(false)) {}

namespace {

// `file`, made to fail as `file_system`'s switches say for its kind.
void Wrap(const std::string& name,
          const std::shared_ptr<std::atomic<bool>>& failing,
          const std::shared_ptr<std::atomic<bool>>& tables_full,
          std::unique_ptr<rocksdb::FSWritableFile>* file) {
  if (absl::EndsWith(name, ".log")) {
    *file = std::make_unique<FailingFile>(
        std::move(*file), failing, IOStatus::IOError("injected failure"));
  } else if (absl::EndsWith(name, ".sst")) {
    *file =
        std::make_unique<FailingFile>(std::move(*file), tables_full,
                                      IOStatus::NoSpace("injected: disk full"));
  }
}

}  // namespace

IOStatus FailingFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  IOStatus s = target()->NewWritableFile(name, options, result, debug);
  if (s.ok()) Wrap(name, failing_, tables_full_, result);
  return s;
}

IOStatus FailingFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  IOStatus s =
      target()->ReuseWritableFile(name, old_name, options, result, debug);
  if (s.ok()) Wrap(name, failing_, tables_full_, result);
  return s;
}

std::unique_ptr<rocksdb::Env> EnvOver(
    const std::shared_ptr<rocksdb::FileSystem>& file_system) {
  return rocksdb::NewCompositeEnv(file_system);
}

}  // namespace ketenhub::testing

namespace ketenhub::testing {

struct PowerLossFileSystem::State {
  std::mutex mu;
  bool dead = false;
  struct File {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  std::map<std::string, File> files;
};

namespace {

class PowerLossFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  PowerLossFile(std::unique_ptr<rocksdb::FSWritableFile> file,
                std::shared_ptr<PowerLossFileSystem::State> state,
                std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)),
        state_(std::move(state)),
        name_(std::move(name)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* debug) override {
    return Appended(data.size(),
                    [&] { return target()->Append(data, options, debug); });
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  IODebugContext* debug) override {
    return Appended(data.size(), [&] {
      return target()->Append(data, options, info, debug);
    });
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* debug) override {
    return Synced([&] { return target()->Sync(options, debug); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* debug) override {
    return Synced([&] { return target()->Fsync(options, debug); });
  }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&,
                     IODebugContext*) override {
    return IOStatus::OK();  // counts as unsynced until Sync
  }

 private:
  template <typename Write>
  IOStatus Appended(size_t bytes, Write write) {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dead) return IOStatus::IOError("power cut");
    IOStatus s = write();
    if (s.ok()) state_->files[name_].size += bytes;
    return s;
  }
  template <typename Sync>
  IOStatus Synced(Sync sync) {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dead) return IOStatus::IOError("power cut");
    IOStatus s = sync();
    if (s.ok()) state_->files[name_].synced = state_->files[name_].size;
    return s;
  }

  std::shared_ptr<PowerLossFileSystem::State> state_;
  const std::string name_;
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()),
      state_(std::make_shared<State>()) {}

void PowerLossFileSystem::CutPower() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->dead = true;
}

void PowerLossFileSystem::DropUnsynced() {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& [name, file] : state_->files) {
    if (::access(name.c_str(), F_OK) == 0)
      (void)::truncate(name.c_str(), static_cast<off_t>(file.synced));
  }
  state_->files.clear();
  state_->dead = false;
}

IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dead) return IOStatus::IOError("power cut");
    state_->files[name] = State::File{};
  }
  IOStatus s = target()->NewWritableFile(name, options, result, debug);
  if (s.ok())
    *result = std::make_unique<PowerLossFile>(std::move(*result), state_, name);
  return s;
}

IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  uint64_t size = 0;
  (void)target()->GetFileSize(name, IOOptions(), &size, debug);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dead) return IOStatus::IOError("power cut");
    state_->files[name] = State::File{size, size};
  }
  IOStatus s = target()->ReopenWritableFile(name, options, result, debug);
  if (s.ok())
    *result = std::make_unique<PowerLossFile>(std::move(*result), state_, name);
  return s;
}

IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* debug) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dead) return IOStatus::IOError("power cut");
    state_->files[name] = State::File{};
  }
  IOStatus s =
      target()->ReuseWritableFile(name, old_name, options, result, debug);
  if (s.ok())
    *result = std::make_unique<PowerLossFile>(std::move(*result), state_, name);
  return s;
}

IOStatus PowerLossFileSystem::RenameFile(const std::string& source,
                                         const std::string& target_name,
                                         const IOOptions& options,
                                         IODebugContext* debug) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->dead) return IOStatus::IOError("power cut");
  IOStatus s = target()->RenameFile(source, target_name, options, debug);
  if (s.ok()) {
    auto it = state_->files.find(source);
    if (it != state_->files.end()) {
      state_->files[target_name] = it->second;
      state_->files.erase(it);
    }
  }
  return s;
}

}  // namespace ketenhub::testing
