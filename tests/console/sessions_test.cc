#include "console/sessions.h"

#include "gtest/gtest.h"

namespace ketenhub::console {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(SessionsTest, ASessionLivesWhileUsedAndEndsWhenIdle) {
  Sessions sessions(absl::Minutes(15));
  const Session started = sessions.Start("regisseur-1", kStart);
  EXPECT_EQ(started.id.size(), 64u);
  EXPECT_EQ(started.csrf_token.size(), 64u);
  EXPECT_NE(started.id, started.csrf_token);
  // Used every 10 minutes it stays, well past 15 minutes from its start.
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        sessions.Find(started.id, "regisseur-1", kStart + absl::Minutes(10 * i))
            .has_value());
  }
  EXPECT_FALSE(
      sessions.Find(started.id, "regisseur-1", kStart + absl::Minutes(30 + 16))
          .has_value());
  // And it is gone, not merely refused once.
  EXPECT_FALSE(
      sessions.Find(started.id, "regisseur-1", kStart + absl::Minutes(30 + 17))
          .has_value());
}

TEST(SessionsTest, ASessionIsItsPersonsOnly) {
  Sessions sessions(absl::Minutes(15));
  const Session started = sessions.Start("regisseur-1", kStart);
  EXPECT_FALSE(sessions.Find(started.id, "regisseur-2", kStart).has_value());
  EXPECT_FALSE(sessions.Find("", "regisseur-1", kStart).has_value());
  EXPECT_TRUE(sessions.Find(started.id, "regisseur-1", kStart).has_value());
}

TEST(SessionsTest, SignOutEndsTheSession) {
  Sessions sessions(absl::Minutes(15));
  const Session started = sessions.Start("regisseur-1", kStart);
  sessions.End(started.id);
  EXPECT_FALSE(sessions.Find(started.id, "regisseur-1", kStart).has_value());
}

}  // namespace
}  // namespace ketenhub::console
