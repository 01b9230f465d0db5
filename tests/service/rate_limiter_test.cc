#include "server/service/rate_limiter.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

v1::RateLimit Rate(double per_second, double burst) {
  v1::RateLimit rate;
  rate.set_per_second(per_second);
  rate.set_burst(burst);
  return rate;
}

TEST(PartnerLimitsTest, ABurstIsAllowedThenTheRateHolds) {
  PartnerLimits limits;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const v1::RateLimit rate = Rate(10, 5);
  absl::Duration retry_after;
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(limits.TakeSubmit("politie", rate, t0, &retry_after).ok()) << i;
  const absl::Status refused =
      limits.TakeSubmit("politie", rate, t0, &retry_after);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(retry_after, absl::ZeroDuration());
  EXPECT_LE(retry_after, absl::Milliseconds(100));
  // A tenth of a second later one more token has come.
  EXPECT_TRUE(limits
                  .TakeSubmit("politie", rate, t0 + absl::Milliseconds(100),
                              &retry_after)
                  .ok());
  EXPECT_FALSE(limits
                   .TakeSubmit("politie", rate, t0 + absl::Milliseconds(100),
                               &retry_after)
                   .ok());
}

TEST(PartnerLimitsTest, EachPartnerHasItsOwnBucket) {
  PartnerLimits limits;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  absl::Duration retry_after;
  ASSERT_TRUE(limits.TakeSubmit("politie", Rate(1, 1), t0, &retry_after).ok());
  EXPECT_FALSE(limits.TakeSubmit("politie", Rate(1, 1), t0, &retry_after).ok());
  EXPECT_TRUE(limits.TakeSubmit("ggd", Rate(1, 1), t0, &retry_after).ok());
}

TEST(PartnerLimitsTest, StreamsAreCountedPerPartnerAndFreedOnClose) {
  PartnerLimits limits;
  ASSERT_TRUE(limits.OpenStream("ketenregisseur", 2).ok());
  ASSERT_TRUE(limits.OpenStream("ketenregisseur", 2).ok());
  const absl::Status third = limits.OpenStream("ketenregisseur", 2);
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limits.OpenStream("auditor", 2).ok());
  EXPECT_EQ(limits.OpenStreams().at("ketenregisseur"), 2u);
  limits.CloseStream("ketenregisseur");
  EXPECT_EQ(limits.OpenStreams().at("ketenregisseur"), 1u);
  EXPECT_TRUE(limits.OpenStream("ketenregisseur", 2).ok());
}

}  // namespace
}  // namespace ketenhub
