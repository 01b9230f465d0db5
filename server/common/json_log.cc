#include "server/common/json_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ketenhub {
namespace {

absl::Mutex log_mutex(absl::kConstInit);
thread_local ScopedLogBatch* current_batch = nullptr;

void WriteLines(absl::string_view lines) {
  absl::MutexLock lock(&log_mutex);
  std::fwrite(lines.data(), 1, lines.size(), stderr);
  std::fflush(stderr);
}

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

struct ValueFormatter {
  std::string* out;
  void operator()(absl::string_view v) const {
    absl::StrAppend(out, "\"", JsonEscape(v), "\"");
  }
  void operator()(int64_t v) const { absl::StrAppend(out, v); }
  void operator()(double v) const { absl::StrAppend(out, v); }
  void operator()(bool v) const { absl::StrAppend(out, v ? "true" : "false"); }
};

}  // namespace

std::string JsonEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

void LogEvent(LogLevel level, absl::string_view event,
              std::initializer_list<LogField> fields) {
  std::string line =
      absl::StrCat("{\"time\":\"",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                    absl::UTCTimeZone()),
                   "\",\"level\":\"", LevelName(level), "\",\"event\":\"",
                   JsonEscape(event), "\"");
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",\"", JsonEscape(key), "\":");
    std::visit(ValueFormatter{&line}, value);
  }
  line += "}\n";
  if (current_batch != nullptr) {
    current_batch->lines_ += line;
    return;
  }
  WriteLines(line);
}

ScopedLogBatch::ScopedLogBatch() : outer_(current_batch) {
  current_batch = this;
}

ScopedLogBatch::~ScopedLogBatch() {
  current_batch = outer_;
  if (!lines_.empty()) WriteLines(lines_);
}

}  // namespace ketenhub
