#include "server/report/figure_table.h"

#include <algorithm>

namespace ketenhub::report {
namespace {

// Interval arithmetic on counts, with an unbounded top.
constexpr int64_t kInfinity = INT64_MAX / 4;

int64_t Plus(int64_t a, int64_t b) {
  return a >= kInfinity || b >= kInfinity ? kInfinity : a + b;
}

}  // namespace

void FigureTable::Add(absl::Span<const int> values, uint64_t amount) {
  const int dims = static_cast<int>(sizes_.size());
  CellKey key(dims);
  // Every subset of the dimensions kept, the others as margins.
  for (uint32_t mask = 0; mask < (1u << dims); ++mask) {
    for (int d = 0; d < dims; ++d)
      key[d] = (mask & (1u << d)) ? values[d] : kAll;
    counts_[key] += amount;
  }
}

uint64_t FigureTable::Count(const CellKey& key) const {
  auto found = counts_.find(key);
  return found == counts_.end() ? 0 : found->second;
}

std::vector<CellKey> FigureTable::Cells() const {
  std::vector<CellKey> cells;
  for (const auto& [key, count] : counts_) {
    if (count > 0) cells.push_back(key);
  }
  std::sort(cells.begin(), cells.end());
  return cells;
}

Shown FigureTable::ShownAs(const CellKey& key) const {
  auto found = hidden_.find(key);
  return found == hidden_.end() ? Shown::kValue : found->second;
}

FigureTable::Bounds FigureTable::PriorOf(const CellKey& key) const {
  switch (ShownAs(key)) {
    case Shown::kSmall:
      return {1, threshold_ - 1u};
    case Shown::kSecondary:
      return {threshold_, kUnbounded};
    case Shown::kValue:
      break;
  }
  const uint64_t count = Count(key);
  return {count, count};
}

bool FigureTable::ProtectGroup(const CellKey& total, int d) {
  std::vector<CellKey> parts;
  for (int value = 0; value < sizes_[d]; ++value) {
    CellKey part = total;
    part[d] = value;
    parts.push_back(std::move(part));
  }
  auto low = [&](const CellKey& key) {
    return static_cast<int64_t>(PriorOf(key).low);
  };
  auto high = [&](const CellKey& key) {
    const uint64_t top = PriorOf(key).high;
    return top == kUnbounded ? kInfinity : static_cast<int64_t>(top);
  };
  bool any_hidden = ShownAs(total) != Shown::kValue;
  for (const CellKey& part : parts)
    any_hidden = any_hidden || ShownAs(part) != Shown::kValue;
  if (!any_hidden) return false;

  // What the group's sum says about `member`, from everyone else's bounds.
  auto derived = [&](const CellKey& member) -> std::pair<int64_t, int64_t> {
    if (member == total) {
      int64_t lo = 0, hi = 0;
      for (const CellKey& part : parts) {
        lo = Plus(lo, low(part));
        hi = Plus(hi, high(part));
      }
      return {lo, hi};
    }
    int64_t others_lo = 0, others_hi = 0;
    for (const CellKey& part : parts) {
      if (part == member) continue;
      others_lo = Plus(others_lo, low(part));
      others_hi = Plus(others_hi, high(part));
    }
    const int64_t lo = others_hi >= kInfinity ? 0 : low(total) - others_hi;
    const int64_t hi =
        high(total) >= kInfinity ? kInfinity : high(total) - others_lo;
    return {lo, hi};
  };
  bool exposed = false;
  std::vector<const CellKey*> members = {&total};
  for (const CellKey& part : parts) members.push_back(&part);
  for (const CellKey* member : members) {
    const auto [lo, hi] = derived(*member);
    switch (ShownAs(*member)) {
      case Shown::kSmall:  // must stay anything from 1 to threshold-1
        if (lo > 1 || hi < static_cast<int64_t>(threshold_) - 1) exposed = true;
        break;
      case Shown::kSecondary:  // must not be pinned down (it would tell
                               // the small ones beside it)
        if (std::max<int64_t>(lo, threshold_) >= hi) exposed = true;
        break;
      case Shown::kValue:
        break;
    }
  }
  if (!exposed) return false;
  // Hide the smallest shown non-zero part; failing that, the total.
  const CellKey* pick = nullptr;
  for (const CellKey& part : parts) {
    if (ShownAs(part) != Shown::kValue || Count(part) == 0) continue;
    if (pick == nullptr || Count(part) < Count(*pick)) pick = &part;
  }
  if (pick == nullptr && ShownAs(total) == Shown::kValue && Count(total) > 0)
    pick = &total;
  if (pick == nullptr) return false;  // everything is hidden already
  hidden_[*pick] = Shown::kSecondary;
  return true;
}

void FigureTable::Suppress(uint32_t threshold) {
  threshold_ = std::max<uint32_t>(threshold, 2);
  hidden_.clear();
  for (const auto& [key, count] : counts_) {
    if (count > 0 && count < threshold_) hidden_[key] = Shown::kSmall;
  }
  const std::vector<CellKey> cells = Cells();
  bool changed = true;
  while (changed) {
    changed = false;
    for (const CellKey& cell : cells) {
      for (int d = 0; d < static_cast<int>(sizes_.size()); ++d) {
        if (cell[d] != kAll) continue;
        while (ProtectGroup(cell, d)) changed = true;
      }
    }
  }
}

}  // namespace ketenhub::report
