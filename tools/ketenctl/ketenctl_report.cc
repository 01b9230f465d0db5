#include "tools/ketenctl/ketenctl_report.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/channel.h"
#include "ketenhub/v1/report.grpc.pb.h"

namespace ketenhub {
namespace {

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

std::string KeyText(v1::Dimension dimension, const std::string& key) {
  if (key.empty()) return "total";
  switch (dimension) {
    case v1::DIMENSION_CATEGORY:
      return Readable(key, "CATEGORY_");
    case v1::DIMENSION_URGENCY:
      return Readable(key, "URGENCY_");
    default:
      return key;
  }
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

}  // namespace

std::string FiguresText(const v1::FiguresResponse& figures, bool csv) {
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
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  const bool periods = figures.period() != v1::PERIOD_UNSPECIFIED;
  if (periods) header.push_back("period");
  for (int dimension : figures.by()) {
    header.push_back(
        Readable(v1::Dimension_Name(static_cast<v1::Dimension>(dimension)),
                 "DIMENSION_"));
  }
  for (const char* name :
       {"signals", "persons", "matched", "withdrawn", "destroyed", "decided"})
    header.push_back(name);
  for (v1::Outcome outcome : outcomes)
    header.push_back(Readable(v1::Outcome_Name(outcome), "OUTCOME_"));
  for (v1::DataKind kind : kinds) {
    header.push_back(absl::StrCat(
        "released ", Readable(v1::DataKind_Name(kind), "DATA_KIND_")));
  }
  header.push_back("median hours to decision");
  table.push_back(header);
  const uint32_t threshold = figures.threshold();
  for (const v1::FigureRow& row : figures.rows()) {
    std::vector<std::string> line;
    if (periods) line.push_back(row.period().empty() ? "total" : row.period());
    for (int d = 0; d < row.keys_size(); ++d) {
      line.push_back(
          KeyText(static_cast<v1::Dimension>(figures.by(d)), row.keys(d)));
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
                       : "-");
    table.push_back(std::move(line));
  }
  std::string out;
  if (csv) {
    for (const std::vector<std::string>& line : table) {
      std::vector<std::string> fields;
      for (const std::string& field : line) fields.push_back(CsvField(field));
      absl::StrAppend(&out, absl::StrJoin(fields, ","), "\n");
    }
    return out;
  }
  std::vector<size_t> width(header.size(), 0);
  for (const std::vector<std::string>& line : table) {
    for (size_t i = 0; i < line.size(); ++i)
      width[i] = std::max(width[i], line[i].size());
  }
  for (const std::vector<std::string>& line : table) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      absl::StrAppend(&text, line[i],
                      std::string(width[i] - line[i].size() + 2, ' '));
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(text), "\n");
  }
  absl::StrAppend(&out, "Signals received ", figures.from_date(), " to ",
                  figures.to_date(), " (UTC); every figure is about them. <",
                  threshold, ": 1 to ", threshold - 1,
                  "; x: hidden so that no small count can be worked out. "
                  "Persons are counted by pseudonym, never listed.\n");
  return out;
}

void ReportCommand::Register(CLI::App& app) {
  report_ = app.add_subcommand(
      "report",
      "figures for the council: counts per period and dimension, small "
      "counts suppressed, no one named (chain director, care coordinator, "
      "operator)");
  report_->add_option("--from", from_, "first day, YYYY-MM-DD")->required();
  report_->add_option("--to", to_, "last day, YYYY-MM-DD")->required();
  report_->add_option("--period", period_, "month, quarter, year or whole")
      ->check(CLI::IsMember({"month", "quarter", "year", "whole"}))
      ->capture_default_str();
  report_->add_option(
      "--by", by_,
      "dimensions, comma-separated (at most three): category, source, "
      "municipality, urgency");
  report_->add_flag("--csv", csv_, "print CSV (for a spreadsheet)");
}

std::optional<int> ReportCommand::Run(const GlobalFlags& flags) {
  if (report_ == nullptr || !*report_) return std::nullopt;
  v1::FiguresRequest request;
  request.set_from_date(from_);
  request.set_to_date(to_);
  request.set_period(period_ == "month"     ? v1::PERIOD_MONTH
                     : period_ == "quarter" ? v1::PERIOD_QUARTER
                     : period_ == "year"    ? v1::PERIOD_YEAR
                                            : v1::PERIOD_UNSPECIFIED);
  for (absl::string_view word :
       absl::StrSplit(by_, ',', absl::SkipWhitespace())) {
    v1::Dimension dimension;
    if (!ParseReadable(std::string(absl::StripAsciiWhitespace(word)),
                       "DIMENSION_", &v1::Dimension_Parse, &dimension)) {
      return Report(absl::InvalidArgumentError(
                        "--by: category, source, municipality or urgency"),
                    flags);
    }
    request.add_by(dimension);
  }
  absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
  if (!options.ok()) return Report(options.status(), flags);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(*options);
  if (!channel.ok()) return Report(channel.status(), flags);
  std::unique_ptr<v1::ReportService::Stub> stub =
      v1::ReportService::NewStub(*channel);
  options->attempt_deadline = absl::Minutes(10);
  v1::FiguresResponse figures;
  absl::Status called =
      CallWithRetries(*options, [&](grpc::ClientContext* context) {
        return stub->Figures(context, request, &figures);
      });
  if (!called.ok()) return Report(called, flags);
  if (flags.json) {
    std::cout << ToJson(figures) << "\n";
  } else {
    std::cout << FiguresText(figures, csv_);
  }
  return EXIT_SUCCESS;
}

}  // namespace ketenhub
