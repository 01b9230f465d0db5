// End to end for a partner's pinned issuer: with a second CA in the hub's
// trust bundle, a certificate of that CA bearing the police's OIN would
// be the police; the policy's pin refuses it.
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "server/security/certificate_identity.h"
#include "server/service/hub.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.value_or("");
}

// A hub that trusts the dev CA and the unrelated one (with its CRL), under
// the example policy with `pin` added to the police's entry ("": none).
absl::StatusOr<std::unique_ptr<Hub>> StartWithTwoCas(testing::TempDir& dir,
                                                     const std::string& pin) {
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  const std::string bundle = dir.path() + "/two-cas.pem";
  std::ofstream(bundle) << Read(testing::PkiFile("ca.pem"))
                        << Read(testing::PkiFile("outsider-ca.pem"));
  config.mutable_tls()->set_ca_file(bundle);
  config.mutable_tls()->add_crl_files(testing::PkiFile("outsider-crl.pem"));
  if (!pin.empty()) {
    config.set_policy_file(testing::ExamplePolicyWith(
        dir, {{"  oin: \"00000099000000000001\"\n",
               absl::StrCat("  oin: \"00000099000000000001\"\n",
                            "  pinned_issuers: \"", pin, "\"\n")}}));
  }
  return Hub::Start(config);
}

absl::Status SubmitAs(int port, const std::string& name) {
  ClientOptions options = testing::ClientOptionsFor(name, port);
  options.ca_file = testing::PkiFile("ca.pem");
  options.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<SignalClient>> client =
      SignalClient::Connect(options);
  if (!client.ok()) return client.status();
  return (*client)
      ->Submit(testing::ValidSignal(absl::StrCat("pin-", name)))
      .status();
}

TEST(PinningE2eTest, WithoutAPinAnotherTrustedCaCanMintThePolice) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Hub>> hub = StartWithTwoCas(dir, "");
  ASSERT_TRUE(hub.ok()) << hub.status();
  // The threat the pin answers: the outsider CA's certificate with the
  // police's OIN is taken for the police.
  EXPECT_TRUE(SubmitAs((*hub)->port(), "outsider").ok());
}

TEST(PinningE2eTest, APinnedIssuerRefusesTheOtherCasCertificate) {
  testing::TempDir dir;
  absl::StatusOr<std::string> dev_ca =
      CertificateFingerprintPem(Read(testing::PkiFile("ca.pem")));
  ASSERT_TRUE(dev_ca.ok()) << dev_ca.status();
  absl::StatusOr<std::unique_ptr<Hub>> hub = StartWithTwoCas(dir, *dev_ca);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const int port = (*hub)->port();
  EXPECT_TRUE(SubmitAs(port, "politie").ok());
  absl::Status refused = SubmitAs(port, "outsider");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.message(), HasSubstr("pinned_issuers"));
  // Other partners, without a pin, are as before.
  EXPECT_TRUE(SubmitAs(port, "ggd").ok());
}

TEST(PinningE2eTest, APinnedCertificateRefusesAnotherOfTheSameCa) {
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  absl::StatusOr<std::string> ggd =
      CertificateFingerprintPem(Read(testing::PkiFile("ggd.pem")));
  ASSERT_TRUE(ggd.ok());
  // The police pinned to the GGD's certificate: its own is refused.
  config.set_policy_file(testing::ExamplePolicyWith(
      dir, {{"  oin: \"00000099000000000001\"\n",
             absl::StrCat("  oin: \"00000099000000000001\"\n",
                          "  pinned_certificates: \"", *ggd, "\"\n")}}));
  absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
  ASSERT_TRUE(hub.ok()) << hub.status();
  absl::Status refused = SubmitAs((*hub)->port(), "politie");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.message(), HasSubstr("pinned_certificates"));
}

TEST(PinningE2eTest, APinThatIsNoFingerprintIsRefusedAtStart) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Hub>> hub = StartWithTwoCas(dir, "abc");
  EXPECT_EQ(hub.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(hub.status().message(), HasSubstr("pinned_issuers"));
}

}  // namespace
}  // namespace ketenhub
