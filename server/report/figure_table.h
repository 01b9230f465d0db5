#ifndef KETENHUB_SERVER_REPORT_FIGURE_TABLE_H_
#define KETENHUB_SERVER_REPORT_FIGURE_TABLE_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"

namespace ketenhub::report {

// A cell of a table over D dimensions: each dimension's value index, or
// kAll for the margin over that dimension (all values added up).
using CellKey = std::vector<int>;
inline constexpr int kAll = -1;

// How a count may be shown.
enum class Shown {
  kValue,      // as it is
  kSmall,      // 1 .. threshold-1: shown as "<threshold"
  kSecondary,  // hidden so that no small count can be worked out
};

// One additive count (signals, decisions of an outcome...) over a table of
// D dimensions with `sizes[d]` values each, with every margin: adding
// the cells with each value of a dimension gives the cell with kAll there.
// Cells never added to are 0. Not thread-safe.
class FigureTable {
 public:
  explicit FigureTable(std::vector<int> sizes) : sizes_(std::move(sizes)) {}

  // Adds `amount` to the cell `values` (no kAll) and to each of its margins.
  void Add(absl::Span<const int> values, uint64_t amount = 1);

  uint64_t Count(const CellKey& key) const;

  // Small-cell suppression at `threshold` (at least 2): a count from 1 to
  // threshold-1 is kSmall. Then, secondary suppression: take every group of
  // a cell with kAll in dimension d and the cells that add up to it (one
  // per value of d), as a reader would who knows that a small count is 1
  // to threshold-1 and a secondary one at least threshold. The group's
  // shown counts must leave each small count free to be anything from 1 to
  // threshold-1, and each secondary one more than one value; while they do
  // not, the group's smallest shown non-zero count (a part before the
  // total) is hidden too (kSecondary). Repeated until no group pins down
  // any hidden count.
  void Suppress(uint32_t threshold);

  // After Suppress: how `key` is shown (kValue for a 0).
  Shown ShownAs(const CellKey& key) const;

  // Every cell with a non-zero count, margins included.
  std::vector<CellKey> Cells() const;
  const std::vector<int>& sizes() const { return sizes_; }

 private:
  struct Bounds {
    uint64_t low;
    uint64_t high;  // kUnbounded: no upper bound
  };
  static constexpr uint64_t kUnbounded = UINT64_MAX;

  Bounds PriorOf(const CellKey& key) const;
  // Whether every small member of the group of `total` over dimension `d`
  // keeps its whole range given the shown members; if not, hides one more
  // member and returns true.
  bool ProtectGroup(const CellKey& total, int d);

  std::vector<int> sizes_;
  uint32_t threshold_ = 0;
  absl::flat_hash_map<CellKey, uint64_t> counts_;
  absl::flat_hash_map<CellKey, Shown> hidden_;
};

}  // namespace ketenhub::report

#endif  // KETENHUB_SERVER_REPORT_FIGURE_TABLE_H_
