#include "server/common/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RendersCountersWithTheirLabels) {
  Metrics metrics;
  metrics.DeclareCounter("k_total", "Things.");
  metrics.Add("k_total", {{"partner", "politie"}, {"code", "OK"}});
  metrics.Add("k_total", {{"partner", "politie"}, {"code", "OK"}}, 2);
  metrics.Add("undeclared_total", {});
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# HELP k_total Things.\n# TYPE k_total "
                              "counter\n"));
  EXPECT_THAT(text, HasSubstr("k_total{partner=\"politie\",code=\"OK\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("undeclared")));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.DeclareHistogram("h_seconds", "Time.", {0.001, 0.01});
  metrics.Observe("h_seconds", 0.0005);
  metrics.Observe("h_seconds", 0.005);
  metrics.Observe("h_seconds", 5);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"0.01\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("h_seconds_count 3\n"));
}

TEST(MetricsTest, GaugeReadersRunAtEachRenderAndEscapeLabels) {
  Metrics metrics;
  int reads = 0;
  metrics.DeclareGaugeReader("g", "Read.", [&reads] {
    ++reads;
    return std::vector<Metrics::Sample>{{{{"name", "a\"b\\c"}}, 1.5}};
  });
  EXPECT_THAT(metrics.Render(), HasSubstr("g{name=\"a\\\"b\\\\c\"} 1.5\n"));
  metrics.Render();
  EXPECT_EQ(reads, 2);
  metrics.RemoveGaugeReader("g");
  EXPECT_THAT(metrics.Render(), Not(HasSubstr("g{")));
  EXPECT_EQ(reads, 2);
}

}  // namespace
}  // namespace ketenhub
