#include "server/security/subject_pseudonymizer.h"

#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;

v1::Subject Bsn(const std::string& bsn) {
  v1::Subject subject;
  subject.set_bsn(bsn);
  return subject;
}

v1::Subject Person(const std::string& name, const std::string& dob) {
  v1::Subject subject;
  subject.mutable_person()->set_name(name);
  subject.mutable_person()->set_date_of_birth(dob);
  return subject;
}

TEST(SubjectPseudonymizerTest, CreatesPrivateKeyFileOnFirstUse) {
  TempDir dir;
  const std::string key = dir.path() + "/pseudonym.key";
  ASSERT_TRUE(SubjectPseudonymizer::OpenOrCreate(key).ok());
  struct stat st;
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(st.st_size, 32);
}

TEST(SubjectPseudonymizerTest, SamePersonSameKeyAcrossRestarts) {
  TempDir dir;
  const std::string key = dir.path() + "/pseudonym.key";
  auto first = *SubjectPseudonymizer::OpenOrCreate(key);
  auto second = *SubjectPseudonymizer::OpenOrCreate(key);
  EXPECT_EQ(*first->SubjectKey(Bsn("999990019")),
            *second->SubjectKey(Bsn("999990019")));
  EXPECT_EQ(first->SubjectKey(Bsn("999990019"))->size(), 32u);
}

TEST(SubjectPseudonymizerTest, EightAndNineDigitFormsAreOnePerson) {
  TempDir dir;
  auto p = *SubjectPseudonymizer::OpenOrCreate(dir.path() + "/k");
  EXPECT_EQ(*p->SubjectKey(Bsn("12345672")), *p->SubjectKey(Bsn("012345672")));
}

TEST(SubjectPseudonymizerTest, DifferentPersonsDifferentKeys) {
  TempDir dir;
  auto p = *SubjectPseudonymizer::OpenOrCreate(dir.path() + "/k");
  EXPECT_NE(*p->SubjectKey(Bsn("999990019")), *p->SubjectKey(Bsn("999990020")));
  EXPECT_NE(*p->SubjectKey(Person("Jan Jansen", "1990-01-01")),
            *p->SubjectKey(Person("Jan Jansen", "1990-01-02")));
}

TEST(SubjectPseudonymizerTest, NormalisesNameCaseAndSpaces) {
  TempDir dir;
  auto p = *SubjectPseudonymizer::OpenOrCreate(dir.path() + "/k");
  EXPECT_EQ(*p->SubjectKey(Person("Jan  Jansen ", "1990-01-01")),
            *p->SubjectKey(Person("jan jansen", "1990-01-01")));
}

TEST(SubjectPseudonymizerTest, KeysDifferUnderDifferentHubKeys) {
  TempDir a, b;
  auto p = *SubjectPseudonymizer::OpenOrCreate(a.path() + "/k");
  auto q = *SubjectPseudonymizer::OpenOrCreate(b.path() + "/k");
  EXPECT_NE(*p->SubjectKey(Bsn("999990019")), *q->SubjectKey(Bsn("999990019")));
}

TEST(SubjectPseudonymizerTest, RefusesKeyFileReadableByOthers) {
  TempDir dir;
  const std::string key = dir.path() + "/k";
  ASSERT_TRUE(SubjectPseudonymizer::OpenOrCreate(key).ok());
  chmod(key.c_str(), 0644);
  absl::Status status = SubjectPseudonymizer::OpenOrCreate(key).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("0600"), absl::string_view::npos);
}

TEST(SubjectPseudonymizerTest, RefusesKeyFileOfWrongSize) {
  TempDir dir;
  const std::string key = dir.path() + "/k";
  std::ofstream(key) << "short";
  chmod(key.c_str(), 0600);
  EXPECT_EQ(SubjectPseudonymizer::OpenOrCreate(key).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
