// Fuzzes the audit log's proof verification, which an auditor runs on what a
// hub (possibly a compromised one) sends. Two halves per input:
//  - a tree built from the input: its honest proofs must verify, and a proof
//    with one flipped bit, or against another root, must not;
//  - proofs, sizes and roots taken straight from the input: verification may
//    fail, but must never crash or read out of bounds.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/audit/merkle.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace merkle = ketenhub::merkle;
using ketenhub::fuzz::FuzzInput;
using ketenhub::fuzz::Violated;

class Tree {
 public:
  void Append(const std::string& record) {
    for (merkle::Node& node : frontier_.Append(merkle::LeafHash(record)))
      stored_[{node.level, node.index}] = std::move(node.hash);
  }
  uint64_t size() const { return frontier_.size(); }
  std::string Root() const { return frontier_.Root(); }
  merkle::PerfectSubtree Subtrees() const {
    return [this](uint64_t begin, uint64_t end) -> absl::StatusOr<std::string> {
      const int level = std::countr_zero(end - begin);
      auto it = stored_.find({level, begin >> level});
      if (it == stored_.end()) Violated("asked for a subtree never stored");
      return it->second;
    };
  }
  std::string LeafHashAt(uint64_t index) const {
    return stored_.at({0, index});
  }

 private:
  merkle::Frontier frontier_;
  std::map<std::pair<int, uint64_t>, std::string> stored_;
};

void FlipOneBit(FuzzInput& in, std::vector<std::string>& proof) {
  std::string& hash = proof[in.Below(proof.size())];
  hash[in.Below(hash.size())] ^= static_cast<char>(1 << in.Below(8));
}

void CheckHonestProofs(FuzzInput& in) {
  Tree tree;
  const uint64_t size = 1 + in.Below(200);
  for (uint64_t i = 0; i < size; ++i) tree.Append(in.Bytes(8));
  const std::string root = tree.Root();
  auto range_root = merkle::RangeHash(0, size, tree.Subtrees());
  if (!range_root.ok() || *range_root != root)
    Violated("the frontier's root differs from the stored subtrees' root");

  const uint64_t index = in.Below(size);
  auto inclusion = merkle::InclusionProof(index, size, tree.Subtrees());
  if (!inclusion.ok()) Violated("no inclusion proof for a leaf in the tree");
  const std::string leaf = tree.LeafHashAt(index);
  if (!merkle::VerifyInclusion(index, size, leaf, *inclusion, root).ok())
    Violated("an honest inclusion proof fails");
  if (!inclusion->empty()) {
    FlipOneBit(in, *inclusion);
    if (merkle::VerifyInclusion(index, size, leaf, *inclusion, root).ok())
      Violated("a tampered inclusion proof verifies");
  }

  const uint64_t old_size = 1 + in.Below(size);
  auto old_root = merkle::RangeHash(0, old_size, tree.Subtrees());
  auto consistency = merkle::ConsistencyProof(old_size, size, tree.Subtrees());
  if (!old_root.ok() || !consistency.ok())
    Violated("no consistency proof within the tree");
  if (!merkle::VerifyConsistency(old_size, size, *old_root, root, *consistency)
           .ok())
    Violated("an honest consistency proof fails");
  std::string other_root = *old_root;
  other_root[0] ^= 1;
  if (merkle::VerifyConsistency(old_size, size, other_root, root, *consistency)
          .ok())
    Violated("a consistency proof verifies against a rewritten history");
  if (!consistency->empty()) {
    FlipOneBit(in, *consistency);
    if (merkle::VerifyConsistency(old_size, size, *old_root, root, *consistency)
            .ok())
      Violated("a tampered consistency proof verifies");
  }
}

std::vector<std::string> HostileProof(FuzzInput& in) {
  std::vector<std::string> proof(in.Below(70));
  for (std::string& hash : proof) hash = in.Bytes(40);
  return proof;
}

void CheckHostileProofs(FuzzInput& in) {
  const uint64_t index = in.Number(8);
  const uint64_t size = in.Number(8);
  const std::string leaf = in.Bytes(40);
  const std::string root = in.Bytes(40);
  (void)merkle::VerifyInclusion(index, size, leaf, HostileProof(in), root);
  const uint64_t old_size = in.Number(8);
  const std::string old_root = in.Bytes(40);
  (void)merkle::VerifyConsistency(old_size, size, old_root, root,
                                  HostileProof(in));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  if (in.Flag()) {
    CheckHonestProofs(in);
  } else {
    CheckHostileProofs(in);
  }
  return 0;
}
