#include "server/audit/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ketenhub::merkle {
namespace {

// SHA-256 through EVP with one reused context per thread: the tree hashes
// on every audit append and every verification.
std::string Sha256(absl::string_view prefix, absl::string_view a,
                   absl::string_view b) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(
      EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (md == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1 ||
      length != kHashBytes) {
    // Only memory exhaustion gets here; a wrong hash would corrupt the log.
    std::fprintf(stderr, "ketenhub: SHA-256 unavailable from OpenSSL\n");
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The largest power of two below n (n > 1).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

absl::Status Fail(absl::string_view what) { return absl::DataLossError(what); }

absl::Status Inclusion(uint64_t index, uint64_t begin, uint64_t end,
                       const PerfectSubtree& subtree,
                       std::vector<std::string>& proof) {
  const uint64_t n = end - begin;
  if (n == 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(n);
  const bool left = index < begin + k;
  absl::Status status = left
                            ? Inclusion(index, begin, begin + k, subtree, proof)
                            : Inclusion(index, begin + k, end, subtree, proof);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> sibling =
      left ? RangeHash(begin + k, end, subtree)
           : RangeHash(begin, begin + k, subtree);
  if (!sibling.ok()) return sibling.status();
  proof.push_back(*std::move(sibling));
  return absl::OkStatus();
}

absl::Status SubProof(uint64_t m, uint64_t begin, uint64_t end, bool complete,
                      const PerfectSubtree& subtree,
                      std::vector<std::string>& proof) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (complete) return absl::OkStatus();
    absl::StatusOr<std::string> hash = RangeHash(begin, end, subtree);
    if (!hash.ok()) return hash.status();
    proof.push_back(*std::move(hash));
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  absl::Status status;
  absl::StatusOr<std::string> other;
  if (m <= k) {
    status = SubProof(m, begin, begin + k, complete, subtree, proof);
    other = RangeHash(begin + k, end, subtree);
  } else {
    status = SubProof(m - k, begin + k, end, false, subtree, proof);
    other = RangeHash(begin, begin + k, subtree);
  }
  if (!status.ok()) return status;
  if (!other.ok()) return other.status();
  proof.push_back(*std::move(other));
  return absl::OkStatus();
}

}  // namespace

std::string LeafHash(absl::string_view record) {
  return Sha256(absl::string_view("\x00", 1), record, "");
}

std::string NodeHash(absl::string_view left, absl::string_view right) {
  return Sha256("\x01", left, right);
}

std::string EmptyTreeHash() { return Sha256("", "", ""); }

absl::StatusOr<Frontier> Frontier::Load(
    uint64_t size,
    const std::function<absl::StatusOr<std::string>(int, uint64_t)>& stored) {
  Frontier frontier;
  frontier.size_ = size;
  for (int level = 0; level < 64; ++level) {
    if ((size >> level & 1) == 0) continue;
    absl::StatusOr<std::string> hash = stored(level, (size >> level) - 1);
    if (!hash.ok()) return hash.status();
    frontier.by_level_[level] = *std::move(hash);
  }
  return frontier;
}

std::vector<Node> Frontier::Append(absl::string_view leaf_hash) {
  std::vector<Node> completed;
  std::string hash(leaf_hash);
  int level = 0;
  completed.push_back({0, size_, hash});
  while ((size_ >> level & 1) != 0) {
    auto it = by_level_.find(level);
    hash = NodeHash(it->second, hash);
    by_level_.erase(it);
    ++level;
    completed.push_back({level, size_ >> level, hash});
  }
  by_level_[level] = std::move(hash);
  ++size_;
  return completed;
}

std::string Frontier::Root() const {
  if (by_level_.empty()) return EmptyTreeHash();
  std::string root;
  for (const auto& [level, hash] : by_level_) {  // right (low) to left (high)
    root = root.empty() ? hash : NodeHash(hash, root);
  }
  return root;
}

absl::StatusOr<std::string> RangeHash(uint64_t begin, uint64_t end,
                                      const PerfectSubtree& subtree) {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) return subtree(begin, end);
  if (n <= 1) return absl::InvalidArgumentError("empty or unaligned range");
  const uint64_t k = SplitPoint(n);
  absl::StatusOr<std::string> left = RangeHash(begin, begin + k, subtree);
  if (!left.ok()) return left.status();
  absl::StatusOr<std::string> right = RangeHash(begin + k, end, subtree);
  if (!right.ok()) return right.status();
  return NodeHash(*left, *right);
}

absl::StatusOr<std::vector<std::string>> InclusionProof(
    uint64_t index, uint64_t size, const PerfectSubtree& subtree) {
  if (index >= size) {
    return absl::InvalidArgumentError("index: not below the tree size");
  }
  std::vector<std::string> proof;
  if (absl::Status s = Inclusion(index, 0, size, subtree, proof); !s.ok())
    return s;
  return proof;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProof(
    uint64_t old_size, uint64_t new_size, const PerfectSubtree& subtree) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        "old_size: must be at least 1 and at most new_size");
  }
  std::vector<std::string> proof;
  if (old_size == new_size) return proof;
  if (absl::Status s = SubProof(old_size, 0, new_size, true, subtree, proof);
      !s.ok())
    return s;
  return proof;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size,
                             absl::string_view leaf_hash,
                             const std::vector<std::string>& proof,
                             absl::string_view root) {
  if (index >= size) return Fail("inclusion: index not below the tree size");
  uint64_t fn = index;
  uint64_t sn = size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return Fail("inclusion: proof too long");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail("inclusion: proof too short");
  if (r != root) return Fail("inclusion: the root does not match");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               absl::string_view old_root,
                               absl::string_view new_root,
                               const std::vector<std::string>& proof) {
  if (old_size > new_size) {
    return Fail(absl::StrCat("consistency: the log has ", new_size,
                             " records, fewer than the ", old_size,
                             " of the earlier checkpoint"));
  }
  if (old_size == new_size) {
    if (!proof.empty()) return Fail("consistency: proof should be empty");
    if (old_root != new_root)
      return Fail("consistency: same size, different root");
    return absl::OkStatus();
  }
  if (old_size == 0) return absl::OkStatus();
  std::vector<std::string> path = proof;
  if (std::has_single_bit(old_size))
    path.insert(path.begin(), std::string(old_root));
  if (path.empty()) return Fail("consistency: empty proof");
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0];
  std::string sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return Fail("consistency: proof too long");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail("consistency: proof too short");
  if (fr != old_root)
    return Fail("consistency: the earlier checkpoint's root does not match");
  if (sr != new_root)
    return Fail("consistency: the new checkpoint's root does not match");
  return absl::OkStatus();
}

}  // namespace ketenhub::merkle
