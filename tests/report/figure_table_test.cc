#include "server/report/figure_table.h"

#include <functional>
#include <map>
#include <set>

#include "gtest/gtest.h"

namespace ketenhub::report {
namespace {

constexpr uint32_t kThreshold = 5;

// Every group a reader can subtract in: a margin over dimension d and the
// cells that add up to it.
struct Group {
  CellKey total;
  std::vector<CellKey> parts;
};

std::vector<Group> Groups(const FigureTable& table) {
  std::vector<Group> groups;
  const std::vector<int>& sizes = table.sizes();
  std::function<void(CellKey&, size_t)> walk = [&](CellKey& key, size_t d) {
    if (d == sizes.size()) {
      for (size_t over = 0; over < sizes.size(); ++over) {
        if (key[over] != kAll) continue;
        Group group{key, {}};
        for (int value = 0; value < sizes[over]; ++value) {
          CellKey part = key;
          part[over] = value;
          group.parts.push_back(part);
        }
        groups.push_back(group);
      }
      return;
    }
    for (int value = kAll; value < sizes[d]; ++value) {
      key[d] = value;
      walk(key, d + 1);
    }
  };
  CellKey key(sizes.size());
  walk(key, 0);
  return groups;
}

TEST(FigureTableTest, AddsEveryMargin) {
  FigureTable table({2, 3});
  table.Add({0, 1});
  table.Add({0, 2}, 4);
  table.Add({1, 1});
  EXPECT_EQ(table.Count({0, 1}), 1u);
  EXPECT_EQ(table.Count({0, kAll}), 5u);
  EXPECT_EQ(table.Count({kAll, 1}), 2u);
  EXPECT_EQ(table.Count({kAll, kAll}), 6u);
  EXPECT_EQ(table.Count({1, 0}), 0u);
}

TEST(FigureTableTest, SmallCountsAreHiddenZeroAndLargeOnesShown) {
  FigureTable table({4});
  table.Add({0}, 1);
  table.Add({2}, 5);
  table.Add({3}, 5);
  table.Add({3}, 35);
  table.Suppress(kThreshold);
  EXPECT_EQ(table.ShownAs({0}), Shown::kSmall);
  EXPECT_EQ(table.ShownAs({1}), Shown::kValue);  // 0 is shown
  EXPECT_EQ(table.ShownAs({kAll}), Shown::kValue);
  // 46 - 5 - 40 would give the 1 away; with the 5 hidden (at least 5), the
  // 1 is at most 1 still: the 40 goes too.
  EXPECT_EQ(table.ShownAs({2}), Shown::kSecondary);
  EXPECT_EQ(table.ShownAs({3}), Shown::kSecondary);
}

TEST(FigureTableTest, ASmallCountCannotBeSubtractedFromItsTotal) {
  FigureTable table({3});
  table.Add({0}, 3);
  table.Add({1}, 10);
  table.Add({2}, 12);
  table.Suppress(kThreshold);
  // 25 - 10 - 12 would give 3: the smallest other part goes too.
  EXPECT_EQ(table.ShownAs({0}), Shown::kSmall);
  EXPECT_EQ(table.ShownAs({1}), Shown::kSecondary);
  EXPECT_EQ(table.ShownAs({2}), Shown::kValue);
  EXPECT_EQ(table.ShownAs({kAll}), Shown::kValue);
}

// The tiny population of the issue: two dimensions, one small cell. A reader
// who subtracts in rows and columns, or solves all of them at once, must
// not learn the small count.
TEST(FigureTableTest, TwoDimensionsHoldAgainstRowsColumnsAndAllAtOnce) {
  FigureTable table({2, 2});
  const uint64_t counts[2][2] = {{2, 9}, {7, 11}};
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) table.Add({a, b}, counts[a][b]);
  }
  table.Suppress(kThreshold);
  EXPECT_EQ(table.ShownAs({0, 0}), Shown::kSmall);

  // The reader's view: the shown counts; hidden ones within their priors.
  std::vector<CellKey> hidden;
  for (int a = kAll; a < 2; ++a) {
    for (int b = kAll; b < 2; ++b) {
      if (table.ShownAs({a, b}) != Shown::kValue) hidden.push_back({a, b});
    }
  }
  ASSERT_GE(hidden.size(), 4u);
  // Every assignment of the hidden counts (up to 60) that satisfies every
  // row, column and total: which values can the small one take?
  std::map<CellKey, uint64_t> guess;
  std::set<uint64_t> possible;
  const std::vector<Group> groups = Groups(table);
  std::function<void(size_t)> assign = [&](size_t i) {
    if (i == hidden.size()) {
      auto value = [&](const CellKey& key) {
        return table.ShownAs(key) == Shown::kValue ? table.Count(key)
                                                   : guess[key];
      };
      for (const Group& group : groups) {
        uint64_t sum = 0;
        for (const CellKey& part : group.parts) sum += value(part);
        if (sum != value(group.total)) return;
      }
      possible.insert(guess[{0, 0}]);
      return;
    }
    const bool small = table.ShownAs(hidden[i]) == Shown::kSmall;
    for (uint64_t v = small ? 1 : kThreshold; v <= (small ? 4 : 60); ++v) {
      guess[hidden[i]] = v;
      assign(i + 1);
    }
  };
  assign(0);
  EXPECT_EQ(possible, (std::set<uint64_t>{1, 2, 3, 4}));

  // And group by group: no subtraction pins a hidden count down.
  for (const Group& group : groups) {
    int hidden_members = table.ShownAs(group.total) != Shown::kValue;
    for (const CellKey& part : group.parts)
      hidden_members += table.ShownAs(part) != Shown::kValue;
    EXPECT_NE(hidden_members, 1) << "a lone hidden count is its group's rest";
  }
}

TEST(FigureTableTest, ASmallTotalHidesWithItsOnlyPart) {
  FigureTable table({2, 3});
  table.Add({0, 0}, 2);
  table.Add({1, 1}, 30);
  table.Add({1, 2}, 30);
  table.Suppress(kThreshold);
  // Row 0 is 2 in total, all of it in one cell: both small, and the column
  // of that cell (2 + 0) likewise; the grand total (62) must not give row 0
  // away by subtracting row 1 (60).
  EXPECT_EQ(table.ShownAs({0, kAll}), Shown::kSmall);
  EXPECT_NE(table.ShownAs({1, kAll}), Shown::kValue);
}

}  // namespace
}  // namespace ketenhub::report
