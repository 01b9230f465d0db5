// The loopback metrics endpoint as a Prometheus agent scrapes it from the
// real hub: what happened shows, what is personal never does.
#include <cstring>
#include <optional>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/chain_director_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/common/text_proto.h"
#include "server/service/hub.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The real hub with its metrics endpoint on a free loopback port.
class MetricsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
    config.set_metrics_address("127.0.0.1:0");
    absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = *std::move(hub);
  }

  testing::TempDir dir_;
  std::unique_ptr<Hub> hub_;
};

TEST_F(MetricsE2eTest, AScrapeShowsSubmitsCommitsAuditAndCertificates) {
  ASSERT_GT(hub_->metrics_port(), 0);

  auto politie = *SignalClient::Connect(
      testing::ClientOptionsFor("politie", hub_->port()));
  const v1::Signal signal = testing::ValidSignal("metrics-1");
  ASSERT_TRUE(politie->Submit(signal).ok());
  v1::Signal bad = testing::ValidSignal("metrics-2");
  bad.mutable_subject()->set_bsn("123456789");  // fails the 11-proef
  ASSERT_FALSE(politie->Submit(bad).ok());

  httplib::Client scraper("127.0.0.1", hub_->metrics_port());
  const httplib::Result scrape = scraper.Get("/metrics");
  ASSERT_TRUE(scrape) << "no answer from the metrics endpoint";
  EXPECT_EQ(scrape->status, 200);
  const std::string& text = scrape->body;
  const std::string category = v1::Category_Name(signal.category());
  EXPECT_THAT(text, HasSubstr("ketenhub_submits_total{partner=\"politie\","
                              "category=\"" +
                              category + "\",code=\"OK\"} "));
  EXPECT_THAT(text, HasSubstr("code=\"INVALID_ARGUMENT\"} "));
  EXPECT_THAT(text, HasSubstr("ketenhub_requests_total{operation=\"submit\","
                              "partner=\"politie\",code=\"OK\"} "));
  EXPECT_THAT(text, HasSubstr("ketenhub_commit_write_seconds_count "));
  EXPECT_THAT(text, HasSubstr("ketenhub_commit_group_size_bucket{le=\"1\"} "));
  EXPECT_THAT(text, HasSubstr("ketenhub_audit_records "));
  EXPECT_THAT(
      text,
      HasSubstr("ketenhub_certificate_expiry_days{certificate=\"hub\"} "));
  EXPECT_THAT(
      text, HasSubstr("ketenhub_certificate_expiry_days{certificate=\"ca\"} "));
  EXPECT_THAT(text, Not(HasSubstr(signal.subject().bsn())));
  EXPECT_THAT(text, Not(HasSubstr(signal.summary())));
  EXPECT_EQ(scraper.Get("/")->status, 404);

  // Every metric the shipped alert rules and dashboard use exists.
  for (const char* file : {"ketenhub-alerts.yml", "ketenhub-dashboard.json"}) {
    const std::string path =
        std::string(KETENHUB_SOURCE_DIR "/deploy/monitoring/") + file;
    const absl::StatusOr<std::string> rules = ReadFileToString(path);
    ASSERT_TRUE(rules.ok()) << rules.status();
    static const std::regex kName("ketenhub_[a-z_]+");
    int used = 0;
    for (auto it = std::sregex_iterator(rules->begin(), rules->end(), kName);
         it != std::sregex_iterator(); ++it, ++used) {
      std::string name = it->str();
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (absl::EndsWith(name, suffix) &&
            !absl::StrContains(text, "# TYPE " + name + " "))
          name.resize(name.size() - std::strlen(suffix));
      }
      EXPECT_THAT(text, HasSubstr("# TYPE " + name + " ")) << file;
    }
    EXPECT_GT(used, 5) << file;
  }
  hub_->Shutdown();
}

// The value of the sample that starts with `series` (name and labels).
std::optional<double> Sample(const std::string& text,
                             const std::string& series) {
  const size_t at = text.find(series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + series.size() + 1));
}

TEST_F(MetricsE2eTest, SubscriberLagGrowsWithSignalsAndFallsWithAcks) {
  httplib::Client scraper("127.0.0.1", hub_->metrics_port());
  const std::string series =
      "ketenhub_subscriber_lag_events{partner=\"ketenregisseur\"}";
  EXPECT_EQ(Sample(scraper.Get("/metrics")->body, series), 0.0);

  auto politie = *SignalClient::Connect(
      testing::ClientOptionsFor("politie", hub_->port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        politie->Submit(testing::ValidSignal(absl::StrCat("lag-", i))).ok());
  }
  EXPECT_EQ(Sample(scraper.Get("/metrics")->body, series), 3.0);

  auto director = *ChainDirectorClient::Connect(
      testing::ClientOptionsFor("ketenregisseur", hub_->port()));
  ASSERT_TRUE(director->Ack(2).ok());
  EXPECT_EQ(Sample(scraper.Get("/metrics")->body, series), 1.0);
  hub_->Shutdown();
}

}  // namespace
}  // namespace ketenhub
