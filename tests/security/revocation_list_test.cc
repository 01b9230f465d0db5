#include "server/security/revocation_list.h"

#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "server/security/certificate_identity.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;
using ::testing::HasSubstr;

std::string Serial(const std::string& name) {
  return IdentifyCertificatePem(*ReadFileToString(PkiFile(name + ".pem")))
      ->serial_hex;
}

std::unique_ptr<RevocationList> Load(const std::string& crl) {
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load({crl}, PkiFile("ca.pem"));
  EXPECT_TRUE(list.ok()) << list.status();
  return list.ok() ? *std::move(list) : nullptr;
}

TEST(RevocationListTest, RefusesTheRevokedCertificateOnly) {
  auto list = Load(PkiFile("crl.pem"));
  ASSERT_NE(list, nullptr);
  const absl::Status revoked = list->Check(Serial("revoked"), absl::Now());
  EXPECT_EQ(revoked.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(revoked.message(), HasSubstr("revoked"));
  EXPECT_TRUE(list->Check(Serial("politie"), absl::Now()).ok());
}

TEST(RevocationListTest, AnOutOfDateListRefusesEveryone) {
  auto list = Load(PkiFile("crl-stale.pem"));
  ASSERT_NE(list, nullptr);
  const absl::Status status = list->Check(Serial("politie"), absl::Now());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("out of date"));
  const absl::Status usable = list->Usable(absl::Now());
  EXPECT_EQ(usable.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(usable.message(), HasSubstr("past its nextUpdate (2025-02-01"));
  auto current = Load(PkiFile("crl.pem"));
  EXPECT_TRUE(current->Usable(absl::Now()).ok());
  EXPECT_EQ(
      current->Check(Serial("politie"), absl::Now() + absl::Hours(24 * 900))
          .code(),
      absl::StatusCode::kUnavailable);  // past its 825 days
}

TEST(RevocationListTest, RefusesListsItCannotTrust) {
  testing::TempDir dir;
  const std::string garbage = dir.path() + "/garbage.pem";
  std::ofstream(garbage) << "not a CRL";
  for (const auto& [file, problem] :
       std::vector<std::pair<std::string, std::string>>{
           {PkiFile("outsider-crl.pem"), "not signed by a CA"},
           {dir.path() + "/missing.pem", "cannot be read"},
           {garbage, "not a PEM CRL"}}) {
    absl::Status status =
        RevocationList::Load({file}, PkiFile("ca.pem")).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << file;
    EXPECT_THAT(status.message(), HasSubstr(problem));
    EXPECT_THAT(status.message(), HasSubstr("tls.crl_files[0]"));
  }
}

TEST(RevocationListTest, AFailedReloadRefusesUntilRepaired) {
  testing::TempDir dir;
  const std::string crl = dir.path() + "/crl.pem";
  std::filesystem::copy_file(PkiFile("crl.pem"), crl);
  auto list = Load(crl);
  ASSERT_NE(list, nullptr);
  std::filesystem::remove(crl);
  EXPECT_FALSE(list->Reload().ok());
  EXPECT_EQ(list->Check(Serial("politie"), absl::Now()).code(),
            absl::StatusCode::kUnavailable);
  std::filesystem::copy_file(PkiFile("crl.pem"), crl);
  EXPECT_TRUE(list->Reload().ok());
  EXPECT_TRUE(list->Check(Serial("politie"), absl::Now()).ok());
}

TEST(RevocationListTest, IdentityCacheRefusesRevokedCertificates) {
  auto list = Load(PkiFile("crl.pem"));
  CertificateIdentityCache cache(16, list.get());
  EXPECT_EQ(
      cache.Identify(*ReadFileToString(PkiFile("revoked.pem"))).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(cache.Identify(*ReadFileToString(PkiFile("politie.pem"))).ok());
}

}  // namespace
}  // namespace ketenhub
