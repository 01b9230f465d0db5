#include "server/report/figures.h"

#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/policy/receiver_share.h"
#include "server/report/figure_table.h"

namespace ketenhub::report {
namespace {

using v1::storage::StoredSignal;

constexpr int kMaxDimensions = 3;
constexpr int kMaxDays = 3660;
constexpr v1::DataKind kKinds[] = {v1::DATA_KIND_GENERAL, v1::DATA_KIND_HEALTH,
                                   v1::DATA_KIND_CRIMINAL,
                                   v1::DATA_KIND_POLICE};

absl::StatusOr<absl::Time> ParseDate(const std::string& text,
                                     absl::string_view field) {
  absl::Time day;
  std::string error;
  if (text.size() != 10 ||
      !absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &day, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": a date as YYYY-MM-DD"));
  }
  return day;
}

std::string PeriodLabel(v1::Period period, absl::Time time) {
  const absl::CivilDay day = absl::ToCivilDay(time, absl::UTCTimeZone());
  switch (period) {
    case v1::PERIOD_MONTH:
      return absl::FormatCivilTime(absl::CivilMonth(day));
    case v1::PERIOD_QUARTER:
      return absl::StrCat(day.year(), "-Q", (day.month() - 1) / 3 + 1);
    case v1::PERIOD_YEAR:
      return absl::StrCat(day.year());
    default:
      return "";
  }
}

std::string DimensionValue(v1::Dimension dimension,
                           const StoredSignal& signal) {
  switch (dimension) {
    case v1::DIMENSION_CATEGORY:
      return v1::Category_Name(signal.signal().category());
    case v1::DIMENSION_SOURCE:
      return signal.source_partner();
    case v1::DIMENSION_MUNICIPALITY:
      return signal.signal().municipality().empty()
                 ? "unknown"
                 : signal.signal().municipality();
    case v1::DIMENSION_URGENCY:
      return v1::Urgency_Name(signal.signal().urgency());
    default:
      return "";
  }
}

constexpr uint32_t kNoPerson = UINT32_MAX;

// What one signal received in the range contributes.
struct Facts {
  std::vector<std::string> values;  // period (when periods), then `by`
  // The person's number (FiguresBuilder::State::persons); none once
  // destroyed.
  uint32_t person = kNoPerson;
  bool withdrawn = false;
  bool destroyed = false;
  std::vector<v1::Outcome> outcomes;  // each receiver's decision in force
  std::array<uint32_t, 4> releases{};
  double hours_to_decision = -1;
};

}  // namespace

absl::Status CheckFiguresRequest(const v1::FiguresRequest& request) {
  absl::StatusOr<absl::Time> from = ParseDate(request.from_date(), "from_date");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> to = ParseDate(request.to_date(), "to_date");
  if (!to.ok()) return to.status();
  if (*to < *from)
    return absl::InvalidArgumentError("to_date: before from_date");
  if (*to - *from > absl::Hours(24 * kMaxDays))
    return absl::InvalidArgumentError(
        "to_date: at most ten years after "
        "from_date");
  if (!v1::Period_IsValid(request.period()))
    return absl::InvalidArgumentError("period: must be a known period");
  if (request.by_size() > kMaxDimensions) {
    return absl::InvalidArgumentError(
        absl::StrCat("by: at most ", kMaxDimensions, " dimensions"));
  }
  for (int i = 0; i < request.by_size(); ++i) {
    if (request.by(i) == v1::DIMENSION_UNSPECIFIED ||
        !v1::Dimension_IsValid(request.by(i))) {
      return absl::InvalidArgumentError("by: must be known dimensions");
    }
    for (int j = 0; j < i; ++j) {
      if (request.by(j) == request.by(i))
        return absl::InvalidArgumentError("by: each dimension once");
    }
  }
  return absl::OkStatus();
}

struct FiguresBuilder::State {
  v1::FiguresRequest request;
  absl::Time from;
  absl::Time until;  // the day after to_date
  bool periods = false;
  std::vector<Facts> facts;
  // Every signal's person, in or out of the range: the first partner that
  // signalled them, and whether another did too (a match). Partners by
  // number, so that a store of millions of signals costs little.
  struct Signalled {
    uint32_t number;  // the person's, in order of appearance
    int first_source;
    bool by_several;
  };
  absl::flat_hash_map<std::string, Signalled> persons;
  absl::flat_hash_map<std::string, int> source_numbers;
};

FiguresBuilder::FiguresBuilder(const v1::FiguresRequest& request)
    : state_(std::make_unique<State>()) {
  state_->request = request;
  state_->from = ParseDate(request.from_date(), "").value_or(absl::Now());
  state_->until =
      ParseDate(request.to_date(), "").value_or(absl::Now()) + absl::Hours(24);
  state_->periods = request.period() != v1::PERIOD_UNSPECIFIED;
}

FiguresBuilder::~FiguresBuilder() = default;

void FiguresBuilder::Add(const StoredSignal& signal) {
  uint32_t person = kNoPerson;
  if (!signal.subject_key().empty()) {
    const int source =
        state_->source_numbers
            .try_emplace(signal.source_partner(), state_->source_numbers.size())
            .first->second;
    auto [known, added] = state_->persons.try_emplace(
        signal.subject_key(),
        State::Signalled{static_cast<uint32_t>(state_->persons.size()), source,
                         false});
    if (!added && known->second.first_source != source)
      known->second.by_several = true;
    person = known->second.number;
  }
  const absl::Time received =
      absl::FromUnixSeconds(signal.received_at().seconds());
  if (received < state_->from || received >= state_->until) return;
  Facts facts;
  if (state_->periods)
    facts.values.push_back(PeriodLabel(state_->request.period(), received));
  for (int dimension : state_->request.by()) {
    facts.values.push_back(
        DimensionValue(static_cast<v1::Dimension>(dimension), signal));
  }
  facts.person = person;
  facts.withdrawn = signal.state() == v1::SIGNAL_STATE_WITHDRAWN;
  facts.destroyed = signal.state() == v1::SIGNAL_STATE_DESTROYED;
  // Each receiver's decision in force: its last.
  std::map<std::string, v1::Outcome> in_force;
  int64_t first_decision = INT64_MAX;
  for (const v1::Decision& decision : AllDecisions(signal)) {
    in_force[decision.receiver()] = decision.outcome();
    first_decision = std::min(first_decision, decision.decided_at().seconds());
  }
  for (const auto& [receiver, outcome] : in_force)
    facts.outcomes.push_back(outcome);
  if (first_decision != INT64_MAX) {
    facts.hours_to_decision =
        static_cast<double>(first_decision - signal.received_at().seconds()) /
        3600.0;
  }
  for (size_t k = 0; k < std::size(kKinds); ++k) {
    for (const std::string& receiver : signal.receivers()) {
      if (ReleaseTo(signal, receiver, kKinds[k]) != nullptr)
        ++facts.releases[k];
    }
  }
  state_->facts.push_back(std::move(facts));
}

v1::FiguresResponse FiguresBuilder::Finish(uint32_t threshold) {
  const v1::FiguresRequest& request = state_->request;
  const int dims = request.by_size() + (state_->periods ? 1 : 0);
  // Each dimension's values, sorted, and their index.
  std::vector<std::vector<std::string>> names(dims);
  for (const Facts& facts : state_->facts) {
    for (int d = 0; d < dims; ++d) names[d].push_back(facts.values[d]);
  }
  std::vector<int> sizes(dims);
  for (int d = 0; d < dims; ++d) {
    std::sort(names[d].begin(), names[d].end());
    names[d].erase(std::unique(names[d].begin(), names[d].end()),
                   names[d].end());
    sizes[d] = static_cast<int>(names[d].size());
  }
  auto index_of = [&](const Facts& facts) {
    std::vector<int> values(dims);
    for (int d = 0; d < dims; ++d) {
      values[d] = static_cast<int>(
          std::lower_bound(names[d].begin(), names[d].end(), facts.values[d]) -
          names[d].begin());
    }
    return values;
  };

  FigureTable signals(sizes), matched(sizes), withdrawn(sizes),
      destroyed(sizes), decided(sizes);
  std::vector<FigureTable> outcomes, releases;
  std::vector<v1::Outcome> outcome_list;
  for (int o = 1; v1::Outcome_IsValid(o); ++o) {
    outcome_list.push_back(static_cast<v1::Outcome>(o));
    outcomes.emplace_back(sizes);
  }
  for (size_t k = 0; k < std::size(kKinds); ++k) releases.emplace_back(sizes);
  absl::flat_hash_map<CellKey, absl::flat_hash_set<uint32_t>> persons;
  // Which persons more than one partner signalled, by number.
  std::vector<bool> several(state_->persons.size());
  for (const auto& [key, person] : state_->persons)
    several[person.number] = person.by_several;
  absl::flat_hash_map<CellKey, std::vector<double>> hours;
  for (const Facts& facts : state_->facts) {
    const std::vector<int> values = index_of(facts);
    signals.Add(values);
    if (facts.person != kNoPerson && several[facts.person]) matched.Add(values);
    if (facts.withdrawn) withdrawn.Add(values);
    if (facts.destroyed) destroyed.Add(values);
    if (!facts.outcomes.empty()) decided.Add(values);
    for (v1::Outcome outcome : facts.outcomes) {
      auto at = std::find(outcome_list.begin(), outcome_list.end(), outcome);
      if (at != outcome_list.end())
        outcomes[at - outcome_list.begin()].Add(values);
    }
    for (size_t k = 0; k < std::size(kKinds); ++k) {
      if (facts.releases[k] > 0) releases[k].Add(values, facts.releases[k]);
    }
    // The margins of the non-additive figures.
    CellKey key(dims);
    for (uint32_t mask = 0; mask < (1u << dims); ++mask) {
      for (int d = 0; d < dims; ++d)
        key[d] = (mask & (1u << d)) ? values[d] : kAll;
      if (facts.person != kNoPerson) persons[key].insert(facts.person);
      if (facts.hours_to_decision >= 0)
        hours[key].push_back(facts.hours_to_decision);
    }
  }
  for (FigureTable* table :
       {&signals, &matched, &withdrawn, &destroyed, &decided}) {
    table->Suppress(threshold);
  }
  for (FigureTable& table : outcomes) table.Suppress(threshold);
  for (FigureTable& table : releases) table.Suppress(threshold);

  auto figure = [](const FigureTable& table, const CellKey& key,
                   v1::Figure* out) {
    switch (table.ShownAs(key)) {
      case Shown::kValue:
        out->set_value(table.Count(key));
        break;
      case Shown::kSmall:
        out->set_suppression(v1::SUPPRESSION_SMALL);
        break;
      case Shown::kSecondary:
        out->set_suppression(v1::SUPPRESSION_SECONDARY);
        break;
    }
  };
  v1::FiguresResponse response;
  response.set_threshold(threshold);
  *response.mutable_by() = request.by();
  response.set_period(request.period());
  response.set_from_date(request.from_date());
  response.set_to_date(request.to_date());
  std::vector<CellKey> cells = signals.Cells();
  // Details before their margins: kAll last.
  auto order = [](const CellKey& key) {
    CellKey out = key;
    for (int& v : out) v = v == kAll ? INT_MAX : v;
    return out;
  };
  std::sort(
      cells.begin(), cells.end(),
      [&](const CellKey& a, const CellKey& b) { return order(a) < order(b); });
  for (const CellKey& key : cells) {
    v1::FigureRow& row = *response.add_rows();
    int d = 0;
    if (state_->periods) {
      row.set_period(key[0] == kAll ? "" : names[0][key[0]]);
      d = 1;
    }
    for (; d < dims; ++d) row.add_keys(key[d] == kAll ? "" : names[d][key[d]]);
    figure(signals, key, row.mutable_signals());
    figure(matched, key, row.mutable_matched());
    figure(withdrawn, key, row.mutable_withdrawn());
    figure(destroyed, key, row.mutable_destroyed());
    figure(decided, key, row.mutable_decided());
    // Persons do not add up over a dimension (one person, two categories);
    // a small count is suppressed, and so is any beside hidden signals.
    const uint64_t people = persons[key].size();
    if (people > 0 && people < threshold) {
      row.mutable_persons()->set_suppression(v1::SUPPRESSION_SMALL);
    } else if (signals.ShownAs(key) != Shown::kValue) {
      row.mutable_persons()->set_suppression(v1::SUPPRESSION_SECONDARY);
    } else {
      row.mutable_persons()->set_value(people);
    }
    for (size_t o = 0; o < outcome_list.size(); ++o) {
      if (outcomes[o].Count(key) == 0) continue;
      v1::OutcomeFigure* out = row.add_decisions();
      out->set_outcome(outcome_list[o]);
      figure(outcomes[o], key, out->mutable_figure());
    }
    for (size_t k = 0; k < std::size(kKinds); ++k) {
      if (releases[k].Count(key) == 0) continue;
      v1::KindFigure* out = row.add_releases();
      out->set_kind(kKinds[k]);
      figure(releases[k], key, out->mutable_figure());
    }
    std::vector<double>& times = hours[key];
    if (decided.ShownAs(key) == Shown::kValue && times.size() >= threshold) {
      std::sort(times.begin(), times.end());
      const size_t n = times.size();
      row.set_median_hours_to_decision(
          n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2);
    }
  }
  return response;
}

}  // namespace ketenhub::report
