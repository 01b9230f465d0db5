#include "client/figures_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace ketenhub {

std::string FigureText(const v1::Figure& figure, uint32_t threshold) {
  switch (figure.suppression()) {
    case v1::SUPPRESSION_SMALL:
      return absl::StrCat("<", threshold);
    case v1::SUPPRESSION_SECONDARY:
      return "x";
    default:
      return absl::StrCat(figure.value());
  }
}

std::vector<std::vector<std::string>> FiguresTable(
    const v1::FiguresResponse& figures, const FigureWords& words) {
  // The outcomes and kinds that occur anywhere get a column each.
  std::vector<v1::Outcome> outcomes;
  std::vector<v1::DataKind> kinds;
  for (const v1::FigureRow& row : figures.rows()) {
    for (const v1::OutcomeFigure& o : row.decisions()) {
      if (std::find(outcomes.begin(), outcomes.end(), o.outcome()) ==
          outcomes.end())
        outcomes.push_back(o.outcome());
    }
    for (const v1::KindFigure& k : row.releases()) {
      if (std::find(kinds.begin(), kinds.end(), k.kind()) == kinds.end())
        kinds.push_back(k.kind());
    }
  }
  std::sort(outcomes.begin(), outcomes.end());
  std::sort(kinds.begin(), kinds.end());
  const bool periods = figures.period() != v1::PERIOD_UNSPECIFIED;
  std::vector<std::string> head;
  if (periods) head.push_back(words.period);
  for (int d : figures.by())
    head.push_back(words.dimension(static_cast<v1::Dimension>(d)));
  head.insert(head.end(), words.figures.begin(), words.figures.end());
  for (v1::Outcome outcome : outcomes) head.push_back(words.outcome(outcome));
  for (v1::DataKind kind : kinds) head.push_back(words.released(kind));
  head.push_back(words.median);
  std::vector<std::vector<std::string>> table = {head};
  const uint32_t threshold = figures.threshold();
  for (const v1::FigureRow& row : figures.rows()) {
    std::vector<std::string> line;
    if (periods)
      line.push_back(row.period().empty() ? words.total : row.period());
    for (int d = 0; d < row.keys_size(); ++d) {
      line.push_back(row.keys(d).empty()
                         ? words.total
                         : words.key(static_cast<v1::Dimension>(figures.by(d)),
                                     row.keys(d)));
    }
    for (const v1::Figure* figure :
         {&row.signals(), &row.persons(), &row.matched(), &row.withdrawn(),
          &row.destroyed(), &row.decided()}) {
      line.push_back(FigureText(*figure, threshold));
    }
    for (v1::Outcome outcome : outcomes) {
      std::string text = "0";
      for (const v1::OutcomeFigure& o : row.decisions()) {
        if (o.outcome() == outcome) text = FigureText(o.figure(), threshold);
      }
      line.push_back(text);
    }
    for (v1::DataKind kind : kinds) {
      std::string text = "0";
      for (const v1::KindFigure& k : row.releases()) {
        if (k.kind() == kind) text = FigureText(k.figure(), threshold);
      }
      line.push_back(text);
    }
    line.push_back(row.has_median_hours_to_decision()
                       ? absl::StrFormat("%.1f", row.median_hours_to_decision())
                       : words.no_median);
    table.push_back(std::move(line));
  }
  return table;
}

std::string CsvText(const std::vector<std::vector<std::string>>& table,
                    const std::string& end_of_line) {
  std::string out;
  for (const std::vector<std::string>& line : table) {
    std::vector<std::string> fields;
    for (const std::string& field : line) {
      fields.push_back(
          field.find_first_of(",\"\r\n") == std::string::npos
              ? field
              : absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}),
                             "\""));
    }
    absl::StrAppend(&out, absl::StrJoin(fields, ","), end_of_line);
  }
  return out;
}

}  // namespace ketenhub
