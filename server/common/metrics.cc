#include "server/common/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace ketenhub {
namespace {

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.9g", value);
}

std::string LabelText(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string text = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::StrAppend(
        &text, i > 0 ? "," : "", labels[i].first, "=\"",
        absl::StrReplaceAll(labels[i].second,
                            {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
        "\"");
  }
  return text + "}";
}

}  // namespace

void Metrics::DeclareCounter(const std::string& name, const std::string& help) {
  absl::MutexLock lock(&mu_);
  Family& family = families_[name];
  family.type = Type::kCounter;
  family.help = help;
}

void Metrics::DeclareGauge(const std::string& name, const std::string& help) {
  absl::MutexLock lock(&mu_);
  Family& family = families_[name];
  family.type = Type::kGauge;
  family.help = help;
}

void Metrics::DeclareHistogram(const std::string& name, const std::string& help,
                               std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  Family& family = families_[name];
  family.type = Type::kHistogram;
  family.help = help;
  family.buckets = std::move(buckets);
  family.counts.assign(family.buckets.size(), 0);
}

void Metrics::DeclareGaugeReader(const std::string& name,
                                 const std::string& help, GaugeReader read) {
  absl::MutexLock lock(&mu_);
  Family& family = families_[name];
  family.type = Type::kGauge;
  family.help = help;
  family.reader = std::move(read);
}

void Metrics::RemoveGaugeReader(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.reader = nullptr;
}

void Metrics::Add(absl::string_view name, const MetricLabels& labels,
                  double value) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != Type::kCounter) return;
  it->second.values[labels] += value;
}

void Metrics::Set(absl::string_view name, const MetricLabels& labels,
                  double value) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != Type::kGauge) return;
  it->second.values[labels] = value;
}

void Metrics::Observe(absl::string_view name, double value) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != Type::kHistogram) return;
  Family& family = it->second;
  const auto bucket =
      std::lower_bound(family.buckets.begin(), family.buckets.end(), value);
  if (bucket != family.buckets.end())
    ++family.counts[bucket - family.buckets.begin()];
  family.sum += value;
  ++family.count;
}

std::string Metrics::Render() const {
  // Readers run without the lock: they may take their own.
  struct Reader {
    std::string name, help;
    GaugeReader read;
  };
  std::vector<Reader> readers;
  std::string text;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, family] : families_) {
      if (family.reader) {
        readers.push_back({name, family.help, family.reader});
        continue;
      }
      const char* type = family.type == Type::kCounter ? "counter"
                         : family.type == Type::kGauge ? "gauge"
                                                       : "histogram";
      absl::StrAppend(&text, "# HELP ", name, " ", family.help, "\n", "# TYPE ",
                      name, " ", type, "\n");
      if (family.type != Type::kHistogram) {
        for (const auto& [labels, value] : family.values)
          absl::StrAppend(&text, name, LabelText(labels), " ", Number(value),
                          "\n");
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < family.buckets.size(); ++i) {
        cumulative += family.counts[i];
        absl::StrAppend(&text, name, "_bucket{le=\"", Number(family.buckets[i]),
                        "\"} ", cumulative, "\n");
      }
      absl::StrAppend(&text, name, "_bucket{le=\"+Inf\"} ", family.count, "\n",
                      name, "_sum ", Number(family.sum), "\n", name, "_count ",
                      family.count, "\n");
    }
  }
  for (const auto& [name, help, read] : readers) {
    absl::StrAppend(&text, "# HELP ", name, " ", help, "\n# TYPE ", name,
                    " gauge\n");
    for (const Sample& sample : read())
      absl::StrAppend(&text, name, LabelText(sample.labels), " ",
                      Number(sample.value), "\n");
  }
  return text;
}

Metrics& HubMetrics() {
  static Metrics* const metrics = new Metrics();
  return *metrics;
}

}  // namespace ketenhub
