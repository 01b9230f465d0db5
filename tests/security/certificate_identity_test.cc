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
