#include "server/security/server_credentials.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;
using ::testing::HasSubstr;

v1::TlsConfig GoodTls() {
  v1::TlsConfig tls;
  tls.set_cert_file(PkiFile("hub.pem"));
  tls.set_key_file(PkiFile("hub-key.pem"));
  tls.set_ca_file(PkiFile("ca.pem"));
  return tls;
}

TEST(ServerCredentialsTest, AcceptsMatchingFiles) {
  EXPECT_TRUE(MakeServerCredentials(GoodTls()).ok());
}

TEST(ServerCredentialsTest, NamesUnreadableCertificate) {
  v1::TlsConfig tls = GoodTls();
  tls.set_cert_file(PkiFile("missing.pem"));
  absl::Status status = MakeServerCredentials(tls).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("tls.cert_file"));
}

TEST(ServerCredentialsTest, NamesKeyThatDoesNotMatch) {
  v1::TlsConfig tls = GoodTls();
  tls.set_key_file(PkiFile("politie-key.pem"));
  absl::Status status = MakeServerCredentials(tls).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("tls.key_file"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("does not match"));
}

TEST(ServerCredentialsTest, RefusesExpiredCertificate) {
  v1::TlsConfig tls = GoodTls();
  tls.set_cert_file(PkiFile("expired.pem"));
  tls.set_key_file(PkiFile("expired-key.pem"));
  EXPECT_THAT(std::string(MakeServerCredentials(tls).status().message()),
              HasSubstr("expired"));
}

TEST(ServerCredentialsTest, RefusesCaFileWithoutCertificate) {
  v1::TlsConfig tls = GoodTls();
  tls.set_ca_file(PkiFile("hub-key.pem"));
  EXPECT_THAT(std::string(MakeServerCredentials(tls).status().message()),
              HasSubstr("tls.ca_file"));
}

}  // namespace
}  // namespace ketenhub
