#include "tools/ketenctl/ketenctl_report.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/figures_table.h"
#include "grpcpp/channel.h"
#include "ketenhub/v1/report.grpc.pb.h"

namespace ketenhub {
namespace {

std::string KeyText(v1::Dimension dimension, const std::string& key) {
  switch (dimension) {
    case v1::DIMENSION_CATEGORY:
      return Readable(key, "CATEGORY_");
    case v1::DIMENSION_URGENCY:
      return Readable(key, "URGENCY_");
    default:
      return key;
  }
}

const FigureWords& EnglishWords() {
  static const FigureWords* words = new FigureWords{
      .period = "period",
      .total = "total",
      .figures = {"signals", "persons", "matched", "withdrawn", "destroyed",
                  "decided"},
      .median = "median hours to decision",
      .no_median = "-",
      .dimension =
          [](v1::Dimension dimension) {
            return Readable(v1::Dimension_Name(dimension), "DIMENSION_");
          },
      .key = KeyText,
      .outcome =
          [](v1::Outcome outcome) {
            return Readable(v1::Outcome_Name(outcome), "OUTCOME_");
          },
      .released =
          [](v1::DataKind kind) {
            return absl::StrCat(
                "released ", Readable(v1::DataKind_Name(kind), "DATA_KIND_"));
          }};
  return *words;
}

}  // namespace

std::string FiguresText(const v1::FiguresResponse& figures, bool csv) {
  const std::vector<std::vector<std::string>> table =
      FiguresTable(figures, EnglishWords());
  if (csv) return CsvText(table, "\n");
  const std::vector<std::string>& header = table.front();
  const uint32_t threshold = figures.threshold();
  std::string out;
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
