#ifndef KETENHUB_SERVER_COMMON_CORE_DUMPS_H_
#define KETENHUB_SERVER_COMMON_CORE_DUMPS_H_

#include "absl/status/status.h"

namespace ketenhub {

// Keeps key material out of core files: the process becomes non-dumpable
// (PR_SET_DUMPABLE 0: no core file, no ptrace by other users, /proc/PID/mem
// closed) and its core size limit 0. For every program that holds keys
// (the hub, ketenhub-admin, ketenwitness, ketenconsole). INTERNAL when the
// kernel refuses either. Thread-safe; process-wide.
absl::Status ForbidCoreDumps();

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_CORE_DUMPS_H_
