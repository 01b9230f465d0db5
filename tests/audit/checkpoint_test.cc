#include "server/audit/checkpoint.h"

#include <sys/stat.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/audit/checkpoint_signer.h"
#include "server/audit/merkle.h"
#include "server/common/text_proto.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;

std::unique_ptr<CheckpointSigner> NewSigner(const TempDir& dir,
                                            const std::string& name) {
  absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
      CheckpointSigner::OpenOrCreate(dir.path() + "/" + name + ".key",
                                     dir.path() + "/" + name + ".pub");
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? *std::move(signer) : nullptr;
}

TEST(CheckpointTest, SignedCheckpointVerifiesWithThePublicKey) {
  TempDir dir;
  auto signer = NewSigner(dir, "audit");
  ASSERT_NE(signer, nullptr);
  v1::SignedCheckpoint checkpoint =
      signer->Sign(42, merkle::LeafHash("x"), absl::Now());
  EXPECT_EQ(checkpoint.signature().size(), 64u);
  absl::StatusOr<std::string> public_pem =
      ReadFileToString(dir.path() + "/audit.pub");
  ASSERT_TRUE(public_pem.ok());
  EXPECT_EQ(*public_pem, signer->public_key_pem());
  EXPECT_TRUE(VerifyCheckpoint(checkpoint, *public_pem).ok());
}

TEST(CheckpointTest, AlteredSizeRootOrKeyFailsVerification) {
  TempDir dir;
  auto signer = NewSigner(dir, "audit");
  auto other = NewSigner(dir, "other");
  ASSERT_NE(signer, nullptr);
  ASSERT_NE(other, nullptr);
  const v1::SignedCheckpoint good =
      signer->Sign(42, merkle::LeafHash("x"), absl::Now());
  v1::SignedCheckpoint bigger = good;
  bigger.set_tree_size(43);
  v1::SignedCheckpoint rerooted = good;
  rerooted.set_root_hash(merkle::LeafHash("y"));
  for (const v1::SignedCheckpoint& bad : {bigger, rerooted}) {
    EXPECT_EQ(VerifyCheckpoint(bad, signer->public_key_pem()).code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(VerifyCheckpoint(good, other->public_key_pem()).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(VerifyCheckpoint(good, "not a key").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckpointTest, KeyIsKeptAcrossRestartsAndMustBePrivate) {
  TempDir dir;
  std::string key_id;
  {
    auto signer = NewSigner(dir, "audit");
    ASSERT_NE(signer, nullptr);
    key_id = signer->key_id();
  }
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/audit.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = NewSigner(dir, "audit");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->key_id(), key_id);
  ASSERT_EQ(::chmod((dir.path() + "/audit.key").c_str(), 0644), 0);
  absl::StatusOr<std::unique_ptr<CheckpointSigner>> refused =
      CheckpointSigner::OpenOrCreate(dir.path() + "/audit.key",
                                     dir.path() + "/audit.pub");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
