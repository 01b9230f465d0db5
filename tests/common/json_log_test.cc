#include "server/common/json_log.h"

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

}  // namespace
}  // namespace ketenhub
