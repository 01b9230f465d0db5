#ifndef KETENHUB_SERVER_COMMON_STATUS_MACROS_H_
#define KETENHUB_SERVER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define KETENHUB_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    if (absl::Status _status = (expr); !_status.ok()) { \
      return _status;                                   \
    }                                                   \
  } while (0)

#endif  // KETENHUB_SERVER_COMMON_STATUS_MACROS_H_
