#ifndef KETENHUB_CLIENT_FIGURES_TABLE_H_
#define KETENHUB_CLIENT_FIGURES_TABLE_H_

#include <functional>
#include <string>
#include <vector>

#include "ketenhub/v1/report.pb.h"

namespace ketenhub {

// The words of a figures table in one language (ketenctl's English, the
// console's Dutch).
struct FigureWords {
  std::string period;  // header of the period column
  std::string total;   // a margin ("all of them")
  // signals, persons, matched, withdrawn, destroyed, decided
  std::vector<std::string> figures;
  std::string median;     // header of the median column
  std::string no_median;  // its cell when there is none
  std::function<std::string(v1::Dimension)> dimension;  // a column header
  // A cell's key (never a margin): e.g. CATEGORY_... in words.
  std::function<std::string(v1::Dimension, const std::string&)> key;
  std::function<std::string(v1::Outcome)> outcome;
  std::function<std::string(v1::DataKind)> released;  // "released health"
};

// A count as shown: the number, "<threshold" (small) or "x" (hidden so
// that no small count can be worked out).
std::string FigureText(const v1::Figure& figure, uint32_t threshold);

// The figures as a table: a header, then a row per cell. The period
// column only when there are periods; a column per outcome and per
// released kind that occurs anywhere.
std::vector<std::vector<std::string>> FiguresTable(
    const v1::FiguresResponse& figures, const FigureWords& words);

// `table` as CSV (RFC 4180 quoting), lines ending in `end_of_line`.
std::string CsvText(const std::vector<std::vector<std::string>>& table,
                    const std::string& end_of_line);

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_FIGURES_TABLE_H_
