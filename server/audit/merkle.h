#ifndef KETENHUB_SERVER_AUDIT_MERKLE_H_
#define KETENHUB_SERVER_AUDIT_MERKLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// The RFC 6962 (Certificate Transparency) Merkle tree over audit records:
// leaf hash SHA-256(0x00 || record), node hash SHA-256(0x01 || left || right).
// Hashes are 32-byte binary strings. Pure functions; thread-safe.
namespace ketenhub::merkle {

inline constexpr size_t kHashBytes = 32;

std::string LeafHash(absl::string_view record);
std::string NodeHash(absl::string_view left, absl::string_view right);
std::string EmptyTreeHash();  // SHA-256 of nothing

// A perfect subtree: 2^level leaves starting at leaf index << level.
struct Node {
  int level = 0;
  uint64_t index = 0;
  std::string hash;
};

// The right edge of an append-only tree: the perfect subtrees that the tree
// size decomposes into. Enough to append and to compute the root. Not
// thread-safe; cheap to copy (at most 64 hashes).
class Frontier {
 public:
  Frontier() = default;
  // The frontier of a tree of `size` leaves, from its stored perfect
  // subtrees (see Node); `stored(level, index)` returns one or fails.
  static absl::StatusOr<Frontier> Load(
      uint64_t size,
      const std::function<absl::StatusOr<std::string>(int, uint64_t)>& stored);

  uint64_t size() const { return size_; }
  // Appends a leaf; returns the perfect subtrees it completed, the leaf first.
  std::vector<Node> Append(absl::string_view leaf_hash);
  // MTH of the whole tree.
  std::string Root() const;

 private:
  uint64_t size_ = 0;
  std::map<int, std::string> by_level_;
};

// Reads the hash of a perfect, aligned subtree [begin, end).
using PerfectSubtree =
    std::function<absl::StatusOr<std::string>(uint64_t begin, uint64_t end)>;

// MTH of leaves [begin, end), end > begin, from perfect subtrees.
absl::StatusOr<std::string> RangeHash(uint64_t begin, uint64_t end,
                                      const PerfectSubtree& subtree);

// RFC 6962 2.1.1: the audit path of leaf `index` in the tree of `size`.
absl::StatusOr<std::vector<std::string>> InclusionProof(
    uint64_t index, uint64_t size, const PerfectSubtree& subtree);

// RFC 6962 2.1.2: the proof that the tree of `old_size` is a prefix of the
// tree of `new_size` (0 < old_size <= new_size).
absl::StatusOr<std::vector<std::string>> ConsistencyProof(
    uint64_t old_size, uint64_t new_size, const PerfectSubtree& subtree);

// RFC 9162 2.1.3.2. OK when `proof` shows `leaf_hash` at `index` in a tree of
// `size` with `root`; DATA_LOSS (naming what failed) otherwise.
absl::Status VerifyInclusion(uint64_t index, uint64_t size,
                             absl::string_view leaf_hash,
                             const std::vector<std::string>& proof,
                             absl::string_view root);

// RFC 9162 2.1.4.2. OK when `proof` shows the tree with `old_root` of
// `old_size` is a prefix of the tree with `new_root`; DATA_LOSS otherwise.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               absl::string_view old_root,
                               absl::string_view new_root,
                               const std::vector<std::string>& proof);

}  // namespace ketenhub::merkle

#endif  // KETENHUB_SERVER_AUDIT_MERKLE_H_
