#include "server/policy/lifecycle.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace ketenhub::lifecycle {
namespace {

const absl::Time kReceived = absl::FromCivil(
    absl::CivilSecond(2026, 1, 10, 12, 0, 0), absl::UTCTimeZone());

TEST(LifecycleTest, TheMatchWindowEndsDaysOfTwentyFourHoursAfterReceipt) {
  const Lifetime life{kReceived, 730, 1825};
  EXPECT_EQ(ArchiveTime(life), kReceived + absl::Hours(24 * 730));
  EXPECT_TRUE(IsMatchable(life, /*withdrawn=*/false, ArchiveTime(life)));
  EXPECT_FALSE(IsArchived(life, ArchiveTime(life)));
  const absl::Time after = ArchiveTime(life) + absl::Seconds(1);
  EXPECT_FALSE(IsMatchable(life, false, after));
  EXPECT_TRUE(IsArchived(life, after));
}

TEST(LifecycleTest, AWithdrawnSignalIsNeverMatchable) {
  EXPECT_FALSE(IsMatchable({kReceived, 730, 0}, /*withdrawn=*/true, kReceived));
}

TEST(LifecycleTest, RetentionIsDueAtItsTimeAndNeverWithoutOne) {
  const Lifetime life{kReceived, 730, 1825};
  ASSERT_TRUE(DestroyTime(life).has_value());
  EXPECT_EQ(*DestroyTime(life), kReceived + absl::Hours(24 * 1825));
  EXPECT_FALSE(RetentionDue(life, *DestroyTime(life) - absl::Seconds(1)));
  EXPECT_TRUE(RetentionDue(life, *DestroyTime(life)));
  const Lifetime kept{kReceived, 730, 0};
  EXPECT_FALSE(DestroyTime(kept).has_value());
  EXPECT_FALSE(RetentionDue(kept, kReceived + absl::Hours(24 * 365 * 100)));
}

TEST(LifecycleTest, TheRetentionRuleNamesCategoryAndDays) {
  EXPECT_EQ(RetentionRule(v1::CATEGORY_LOVERBOY_GROOMING, 1825),
            "retention: CATEGORY_LOVERBOY_GROOMING after 1825 days");
}

TEST(LifecycleTest, AMatchIsNewsOnlyForAPartnerThatHadNone) {
  EXPECT_FALSE(IsNewMatch({}, "politie"));                  // nobody else
  EXPECT_TRUE(IsNewMatch({"ggd"}, "politie"));              // another partner
  EXPECT_FALSE(IsNewMatch({"ggd", "politie"}, "politie"));  // known here
}

}  // namespace
}  // namespace ketenhub::lifecycle
