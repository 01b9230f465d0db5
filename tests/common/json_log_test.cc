#include "server/common/json_log.h"

#include <algorithm>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace ketenhub {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(LogEventTest, WritesOneJsonObjectPerLine) {
  ::testing::internal::CaptureStderr();
  LogEvent(LogLevel::kWarning, "submit",
           {{"partner", "ggd"}, {"count", int64_t{3}}, {"ok", false}});
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\"level\":\"warning\""), std::string::npos);
  EXPECT_NE(
      line.find(
          "\"event\":\"submit\",\"partner\":\"ggd\",\"count\":3,\"ok\":false}"),
      std::string::npos);
}

TEST(ScopedLogBatchTest, WritesTheThreadsLinesInOrderWhenItEnds) {
  ::testing::internal::CaptureStderr();
  {
    ScopedLogBatch batch;
    LogEvent(LogLevel::kInfo, "first");
    {
      ScopedLogBatch inner;
      LogEvent(LogLevel::kInfo, "second");
    }
    LogEvent(LogLevel::kError, "third");
    std::thread other([] { LogEvent(LogLevel::kInfo, "elsewhere"); });
    other.join();
  }
  LogEvent(LogLevel::kInfo, "after");
  const std::string lines = ::testing::internal::GetCapturedStderr();
  // The other thread wrote at once; the inner batch when it ended; the
  // outer batch's lines together when it ended.
  const size_t elsewhere = lines.find("\"event\":\"elsewhere\"");
  const size_t second = lines.find("\"event\":\"second\"");
  const size_t first = lines.find("\"event\":\"first\"");
  const size_t third = lines.find("\"event\":\"third\"");
  const size_t after = lines.find("\"event\":\"after\"");
  ASSERT_NE(after, std::string::npos) << lines;
  EXPECT_LT(second, elsewhere);
  EXPECT_LT(elsewhere, first);
  EXPECT_LT(first, third);
  EXPECT_LT(third, after);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 5);
}

}  // namespace
}  // namespace ketenhub
