#include "server/audit/merkle.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace ketenhub::merkle {
namespace {

// RFC 6962 MTH straight from the definition, as the reference.
std::string ReferenceRoot(const std::vector<std::string>& leaves, size_t begin,
                          size_t end) {
  if (end - begin == 1) return LeafHash(leaves[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(ReferenceRoot(leaves, begin, begin + k),
                  ReferenceRoot(leaves, begin + k, end));
}

// A tree built with Frontier, its perfect subtrees kept as storage would.
class StoredTree {
 public:
  void Append(const std::string& leaf) {
    for (const Node& node : frontier_.Append(LeafHash(leaf)))
      nodes_[{node.level, node.index}] = node.hash;
  }
  PerfectSubtree Subtrees() const {
    return [this](uint64_t begin, uint64_t end) -> absl::StatusOr<std::string> {
      int level = 0;
      while ((uint64_t{1} << level) < end - begin) ++level;
      auto it = nodes_.find({level, begin >> level});
      if (it == nodes_.end()) return absl::NotFoundError("no node");
      return it->second;
    };
  }
  const Frontier& frontier() const { return frontier_; }

 private:
  Frontier frontier_;
  std::map<std::pair<int, uint64_t>, std::string> nodes_;
};

std::vector<std::string> Leaves(size_t n) {
  std::vector<std::string> leaves;
  for (size_t i = 0; i < n; ++i)
    leaves.push_back("record " + std::to_string(i));
  return leaves;
}

TEST(MerkleTest, MatchesTheCertificateTransparencyTestVectors) {
  const std::vector<std::string> leaves = {
      "",
      std::string(1, '\0'),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  Frontier frontier;
  EXPECT_EQ(absl::BytesToHexString(frontier.Root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (size_t i = 0; i < leaves.size(); ++i) {
    frontier.Append(LeafHash(leaves[i]));
    EXPECT_EQ(absl::BytesToHexString(frontier.Root()), roots[i]) << i + 1;
  }
}

TEST(MerkleTest, FrontierRootEqualsTheDefinitionAtEverySize) {
  const std::vector<std::string> leaves = Leaves(70);
  StoredTree tree;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    tree.Append(leaves[n - 1]);
    EXPECT_EQ(tree.frontier().Root(), ReferenceRoot(leaves, 0, n)) << n;
    absl::StatusOr<std::string> range = RangeHash(0, n, tree.Subtrees());
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(*range, tree.frontier().Root()) << n;
  }
}

TEST(MerkleTest, FrontierReloadsFromStoredSubtrees) {
  StoredTree tree;
  for (const std::string& leaf : Leaves(37)) tree.Append(leaf);
  absl::StatusOr<Frontier> loaded =
      Frontier::Load(37, [&](int level, uint64_t index) {
        return tree.Subtrees()(index << level, (index + 1) << level);
      });
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Root(), tree.frontier().Root());
  loaded->Append(LeafHash("next"));
  EXPECT_NE(loaded->Root(), tree.frontier().Root());
}

TEST(MerkleTest, InclusionProofsVerifyForEveryLeafAndSize) {
  const std::vector<std::string> leaves = Leaves(33);
  StoredTree tree;
  for (const std::string& leaf : leaves) tree.Append(leaf);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const std::string root = ReferenceRoot(leaves, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<std::vector<std::string>> proof =
          InclusionProof(i, n, tree.Subtrees());
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(VerifyInclusion(i, n, LeafHash(leaves[i]), *proof, root).ok())
          << i << " in " << n;
      EXPECT_FALSE(
          VerifyInclusion(i, n, LeafHash("forged"), *proof, root).ok());
    }
  }
}

TEST(MerkleTest, ConsistencyProofsVerifyForEveryPairOfSizes) {
  const std::vector<std::string> leaves = Leaves(33);
  StoredTree tree;
  for (const std::string& leaf : leaves) tree.Append(leaf);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    for (uint64_t m = 1; m <= n; ++m) {
      absl::StatusOr<std::vector<std::string>> proof =
          ConsistencyProof(m, n, tree.Subtrees());
      ASSERT_TRUE(proof.ok()) << proof.status();
      const std::string old_root = ReferenceRoot(leaves, 0, m);
      const std::string new_root = ReferenceRoot(leaves, 0, n);
      EXPECT_TRUE(VerifyConsistency(m, n, old_root, new_root, *proof).ok())
          << m << " -> " << n;
      EXPECT_FALSE(
          VerifyConsistency(m, n, LeafHash("other"), new_root, *proof).ok());
    }
  }
}

TEST(MerkleTest, ARewrittenHistoryFailsConsistency) {
  std::vector<std::string> leaves = Leaves(20);
  const std::string old_root = ReferenceRoot(leaves, 0, 12);
  leaves[5] = "rewritten";  // the log was changed after the checkpoint
  StoredTree tree;
  for (const std::string& leaf : leaves) tree.Append(leaf);
  absl::StatusOr<std::vector<std::string>> proof =
      ConsistencyProof(12, 20, tree.Subtrees());
  ASSERT_TRUE(proof.ok());
  absl::Status status =
      VerifyConsistency(12, 20, old_root, tree.frontier().Root(), *proof);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
}

TEST(MerkleTest, AShorterLogFailsConsistency) {
  absl::Status status =
      VerifyConsistency(20, 15, LeafHash("a"), LeafHash("b"), {});
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("fewer"), absl::string_view::npos);
}

}  // namespace
}  // namespace ketenhub::merkle
