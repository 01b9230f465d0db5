#ifndef KETENHUB_SERVER_COMMON_JSON_LOG_H_
#define KETENHUB_SERVER_COMMON_JSON_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"

namespace ketenhub {

enum class LogLevel { kInfo, kWarning, kError };

// One field of a log line. Values are operational facts (ids, counts, codes,
// partner ids): callers must never pass a BSN, a name or signal text.
using LogValue = std::variant<absl::string_view, int64_t, double, bool>;
using LogField = std::pair<absl::string_view, LogValue>;

// Writes one JSON object per line to stderr:
//   {"time":"...","level":"info","event":"...","key":value,...}
// Thread-safe: concurrent lines never interleave.
void LogEvent(LogLevel level, absl::string_view event,
              std::initializer_list<LogField> fields = {});

// Gathers the lines this thread logs while it lives and writes them at once
// when it ends, in order: for a thread that logs a burst of lines, such as
// the completion thread answering a whole commit group. One write instead of
// one per line; no line is held past the scope. Scopes may nest (the inner
// one writes when it ends).
class ScopedLogBatch {
 public:
  ScopedLogBatch();
  ScopedLogBatch(const ScopedLogBatch&) = delete;
  ScopedLogBatch& operator=(const ScopedLogBatch&) = delete;
  ~ScopedLogBatch();

 private:
  friend void LogEvent(LogLevel, absl::string_view,
                       std::initializer_list<LogField>);
  std::string lines_;
  ScopedLogBatch* const outer_;
};

// Escapes `text` for use inside a JSON string literal (without the quotes).
std::string JsonEscape(absl::string_view text);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_JSON_LOG_H_
