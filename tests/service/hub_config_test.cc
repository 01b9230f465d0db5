#include "server/service/hub_config.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] = R"pb(
  listen_address: "127.0.0.1:50051"
  tls {
    cert_file: "pki/hub.pem"
    key_file: "pki/hub-key.pem"
    ca_file: "/etc/ca.pem"
  }
  policy_file: "policy.textproto"
  data_dir: "../data"
)pb";

TEST(HubConfigTest, ResolvesRelativePathsAgainstConfigFolder) {
  absl::StatusOr<v1::HubConfig> config =
      ParseHubConfig(kMinimal, "c", "/etc/ketenhub");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls().cert_file(), "/etc/ketenhub/pki/hub.pem");
  EXPECT_EQ(config->tls().ca_file(), "/etc/ca.pem");
  EXPECT_EQ(config->data_dir(), "/etc/data");
}

TEST(HubConfigTest, FillsDefaultLimits) {
  v1::HubConfig config = *ParseHubConfig(kMinimal, "c", "/etc/ketenhub");
  EXPECT_EQ(config.limits().max_message_bytes(), 256u * 1024);
  EXPECT_EQ(config.commit().max_group_size(), 256u);
  EXPECT_EQ(config.transport().keepalive_time_seconds(), 30u);
  EXPECT_EQ(config.transport().keepalive_timeout_seconds(), 10u);
  EXPECT_EQ(config.transport().handshake_timeout_seconds(), 10u);
}

TEST(HubConfigTest, NamesMissingField) {
  absl::Status status =
      ParseHubConfig(R"pb(listen_address: "x:1")pb", "c", "/").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("tls.cert_file: required"));
}

TEST(HubConfigTest, RefusesAPathWithANulByte) {
  const std::string text = absl::StrReplaceAll(
      kMinimal, {{"data_dir: \"../data\"", "data_dir: \"data\\000x\""}});
  absl::Status status = ParseHubConfig(text, "c", "/etc/ketenhub").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("data_dir: a path cannot contain"));
}

TEST(HubConfigTest, MetricsListenOnlyOnLoopback) {
  const std::string open =
      std::string(kMinimal) + "metrics_address: \"0.0.0.0:9464\"\n";
  absl::Status status = ParseHubConfig(open, "c", "/etc/ketenhub").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("metrics_address: must be a loopback"));
  const std::string local =
      std::string(kMinimal) + "metrics_address: \"127.0.0.1:9464\"\n";
  EXPECT_TRUE(ParseHubConfig(local, "c", "/etc/ketenhub").ok());
}

TEST(HubConfigTest, KeysInATokenNeedAPkcs11UriAndResolveThePinFile) {
  absl::Status lone_pin =
      ParseHubConfig(std::string(kMinimal) + "keys { pin_file: \"pin\" }\n",
                     "c", "/etc/ketenhub")
          .status();
  EXPECT_THAT(lone_pin.message(), HasSubstr("keys.pin_file: only with"));
  absl::Status not_pkcs11 =
      ParseHubConfig(
          std::string(kMinimal) + "keys { pkcs11_uri: \"file:///keys\" }\n",
          "c", "/etc/ketenhub")
          .status();
  EXPECT_THAT(not_pkcs11.message(), HasSubstr("keys.pkcs11_uri: a pkcs11:"));
  absl::StatusOr<v1::HubConfig> token = ParseHubConfig(
      std::string(kMinimal) +
          "keys { pkcs11_uri: \"pkcs11:token=ketenhub?module-path=/m.so\" "
          "pin_file: \"token.pin\" }\n",
      "c", "/etc/ketenhub");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->keys().pin_file(), "/etc/ketenhub/token.pin");
}

TEST(HubConfigTest, NamesLineOfSyntaxError) {
  absl::Status status =
      ParseHubConfig("listen_address: 12 13\n", "hub.textproto", "/").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("hub.textproto"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("line 1"));
}

TEST(HubConfigTest, UnreadableFileIsFailedPrecondition) {
  EXPECT_EQ(LoadHubConfig("/nonexistent/ketenhub.textproto").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
