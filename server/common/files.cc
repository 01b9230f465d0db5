#include "server/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace ketenhub {

absl::StatusOr<std::vector<std::string>> ListFolder(const std::string& dir) {
  std::error_code error;
  std::vector<std::string> paths;
  std::filesystem::directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error))
    paths.push_back(it->path().string());
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the folder ", dir, ": ", error.message()));
  }
  return paths;
}

absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents) {
  auto failed = [&path](int error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
  };
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failed(errno);
  // An existing file keeps its mode through O_CREAT: set it.
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < contents.size();) {
    const ssize_t n =
        ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int error = errno;
  if (::close(fd) != 0 && ok) return failed(errno);
  return ok ? absl::OkStatus() : failed(error);
}

}  // namespace ketenhub
