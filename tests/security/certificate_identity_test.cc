#include "server/security/certificate_identity.h"

#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;

std::string Pem(const std::string& name) {
  return *ReadFileToString(PkiFile(name));
}

TEST(CertificateIdentityTest, ReadsOinFromSubjectSerialNumber) {
  absl::StatusOr<CertificateIdentity> identity =
      IdentifyCertificatePem(Pem("politie.pem"));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->oin, "00000099000000000001");
  EXPECT_EQ(identity->sha256_fingerprint.size(), 64u);
}

TEST(CertificateIdentityTest, DistinctCertificatesHaveDistinctFingerprints) {
  EXPECT_NE(IdentifyCertificatePem(Pem("politie.pem"))->sha256_fingerprint,
            IdentifyCertificatePem(Pem("revoked.pem"))->sha256_fingerprint);
}

TEST(CertificateIdentityTest, RefusesCertificateWithoutOin) {
  absl::StatusOr<CertificateIdentity> identity =
      IdentifyCertificatePem(Pem("no-oin.pem"));
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(identity.status().message().find("serialNumber"),
            absl::string_view::npos);
}

TEST(CertificateIdentityTest, RefusesGarbage) {
  EXPECT_EQ(IdentifyCertificatePem("not a certificate").status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;

TEST(CertificateIdentityCacheTest, GivesTheSameIdentityAsParsing) {
  CertificateIdentityCache cache(2);
  const std::string pem = *ReadFileToString(PkiFile("ggd.pem"));
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<CertificateIdentity> identity = cache.Identify(pem);
    ASSERT_TRUE(identity.ok());
    EXPECT_EQ(identity->oin, "00000099000000000002");
    EXPECT_EQ(identity->sha256_fingerprint,
              IdentifyCertificatePem(pem)->sha256_fingerprint);
  }
}

TEST(CertificateIdentityCacheTest, KeepsRefusingBadCertificates) {
  CertificateIdentityCache cache(2);
  const std::string pem = *ReadFileToString(PkiFile("no-oin.pem"));
  EXPECT_EQ(cache.Identify(pem).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(cache.Identify(pem).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(CertificateIdentityCacheTest, StaysCorrectPastItsCapacity) {
  CertificateIdentityCache cache(2);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"politie.pem", "00000099000000000001"},
      {"ggd.pem", "00000099000000000002"},
      {"veilig-thuis.pem", "00000099000000000003"},
      {"politie.pem", "00000099000000000001"}};
  for (const auto& [file, oin] : expected) {
    EXPECT_EQ(cache.Identify(*ReadFileToString(PkiFile(file)))->oin, oin)
        << file;
  }
}

}  // namespace
}  // namespace ketenhub
