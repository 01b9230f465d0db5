#include "server/common/core_dumps.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ketenhub {

absl::Status ForbidCoreDumps() {
  // Under the systemd unit (LimitCORE=0) the limit is 0 already, and its
  // system-call filter refuses setrlimit: ask first.
  rlimit current{};
  const rlimit none = {0, 0};
  const bool already = getrlimit(RLIMIT_CORE, &current) == 0 &&
                       current.rlim_cur == 0 && current.rlim_max == 0;
  if (!already && setrlimit(RLIMIT_CORE, &none) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot set the core size limit to 0: ", strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot make the process non-dumpable: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
