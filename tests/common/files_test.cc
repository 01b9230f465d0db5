#include "server/common/files.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::testing::HasSubstr;

// What the operator points the hub at may be anything: a file where a folder
// should be, or nothing. A Status, never an exception that ends the process.
TEST(ListFolderTest, AFileOrNothingWhereAFolderShouldBeIsAStatus) {
  TempDir dir;
  const std::string file = dir.path() + "/kek";
  std::ofstream(file) << "not a folder";
  for (const std::string& path : {file, dir.path() + "/missing"}) {
    absl::StatusOr<std::vector<std::string>> listed = ListFolder(path);
    ASSERT_FALSE(listed.ok()) << path;
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(listed.status().message()), HasSubstr(path));
  }
}

TEST(ListFolderTest, ListsEveryEntry) {
  TempDir dir;
  std::ofstream(dir.path() + "/a") << "a";
  std::ofstream(dir.path() + "/b") << "b";
  absl::StatusOr<std::vector<std::string>> listed = ListFolder(dir.path());
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ::testing::UnorderedElementsAre(dir.path() + "/a",
                                                       dir.path() + "/b"));
}

TEST(WritePrivateFileTest, IsPrivateWhateverTheUmaskAndTheOldMode) {
  TempDir dir;
  const std::string path = dir.path() + "/export.json";
  std::ofstream(path) << "an older, longer export";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const mode_t umask_before = ::umask(0);
  const absl::Status written = WritePrivateFile(path, "{}\n");
  ::umask(umask_before);
  ASSERT_TRUE(written.ok()) << written;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadFileToString(path), "{}\n");
  EXPECT_EQ(WritePrivateFile(dir.path() + "/no/such/folder", "x").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
