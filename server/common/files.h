#ifndef KETENHUB_SERVER_COMMON_FILES_H_
#define KETENHUB_SERVER_COMMON_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ketenhub {

// The paths of the entries of folder `dir` (not recursive), in no particular
// order. FAILED_PRECONDITION naming `dir` and the cause when it cannot be
// read. Never throws, whatever the folder holds. Thread-safe.
absl::StatusOr<std::vector<std::string>> ListFolder(const std::string& dir);

// Writes `contents` to the file `path`, replacing it, readable and writable
// by its owner only (0600, whatever the umask), and syncs it: for files that
// hold personal data, such as a person's export. FAILED_PRECONDITION naming
// `path` and the cause on failure.
absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_FILES_H_
