#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "server/crypto/aead.h"
#include "server/crypto/kek_ring.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;

TEST(AeadTest, SealsAndOpensAndRefusesAnyChange) {
  const std::string key = aead::RandomBytes(aead::kKeyBytes);
  const std::string nonce = aead::RandomBytes(aead::kNonceBytes);
  absl::StatusOr<std::string> sealed =
      aead::Seal(key, nonce, "geheim verhaal", "signal-1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 14 + aead::kTagBytes);
  EXPECT_EQ(sealed->find("geheim"), std::string::npos);
  EXPECT_EQ(*aead::Open(key, nonce, *sealed, "signal-1"), "geheim verhaal");

  std::string flipped = *sealed;
  flipped[3] ^= 1;
  EXPECT_EQ(aead::Open(key, nonce, flipped, "signal-1").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(aead::Open(key, nonce, *sealed, "signal-2").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(aead::Open(aead::RandomBytes(32), nonce, *sealed, "signal-1")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(KekRingTest, CreatesAPrivateKeyAndKeepsItAcrossOpens) {
  TempDir dir;
  const std::string path = dir.path() + "/kek";
  std::string id;
  {
    auto ring = KekRing::OpenOrCreate(path);
    ASSERT_TRUE(ring.ok()) << ring.status();
    id = (*ring)->current_id();
  }
  struct stat st;
  ASSERT_EQ(::stat((path + "/" + id + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = KekRing::OpenOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->current_id(), id);
  ASSERT_EQ(::chmod((path + "/" + id + ".key").c_str(), 0644), 0);
  EXPECT_EQ(KekRing::OpenOrCreate(path).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(KekRingTest, RotationKeepsOldKeysForUnwrappingUntilRemoved) {
  TempDir dir;
  const std::string path = dir.path() + "/kek";
  const std::string data_key = aead::RandomBytes(32);
  std::string old_id;
  v1::storage::WrappedDataKey wrapped;
  {
    auto ring = *KekRing::OpenOrCreate(path);
    old_id = ring->current_id();
    wrapped = *ring->Wrap("s1", "dk1", data_key);
    absl::StatusOr<std::string> new_id = ring->Rotate();
    ASSERT_TRUE(new_id.ok());
    EXPECT_NE(*new_id, old_id);
    EXPECT_EQ(*ring->Unwrap("s1", wrapped), data_key);
    EXPECT_EQ(ring->Wrap("s1", "dk1", data_key)->kek_id(), *new_id);
    EXPECT_EQ(ring->Unwrap("s2", wrapped).status().code(),
              absl::StatusCode::kDataLoss);  // bound to its signal
  }
  std::filesystem::remove(path + "/" + old_id + ".key");
  auto ring = *KekRing::OpenOrCreate(path);
  EXPECT_EQ(ring->Unwrap("s1", wrapped).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
