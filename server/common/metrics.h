// Prometheus metrics of the hub: counters, gauges and histograms with
// labels, rendered in the text exposition format (version 0.0.4). Nothing
// personal goes into a label: partners, categories, operations and status
// codes only. Thread-safe.
#ifndef KETENHUB_SERVER_COMMON_METRICS_H_
#define KETENHUB_SERVER_COMMON_METRICS_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ketenhub {

// Label names and values, e.g. {{"partner", "politie"}, {"code", "OK"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // One sample of a gauge read at scrape time.
  struct Sample {
    MetricLabels labels;
    double value = 0;
  };
  using GaugeReader = std::function<std::vector<Sample>()>;

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Declares a metric before use; later uses of an undeclared name are
  // ignored. `buckets` (upper bounds, ascending) only for histograms.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  void DeclareHistogram(const std::string& name, const std::string& help,
                        std::vector<double> buckets);
  // A gauge whose samples `read` returns at each scrape (on the scraping
  // thread; it must not block for long). Replaces an earlier reader.
  void DeclareGaugeReader(const std::string& name, const std::string& help,
                          GaugeReader read);
  // Drops the reader of `name` (its gauge then shows no samples).
  void RemoveGaugeReader(absl::string_view name);

  void Add(absl::string_view name, const MetricLabels& labels,
           double value = 1);
  void Set(absl::string_view name, const MetricLabels& labels, double value);
  void Observe(absl::string_view name, double value);

  // Everything, in the Prometheus text format.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<MetricLabels, double> values;  // counters and gauges
    std::vector<double> buckets;            // histograms
    std::vector<uint64_t> counts;           // per bucket, not cumulative
    double sum = 0;
    uint64_t count = 0;
    GaugeReader reader;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

// The hub's metrics, shared by all its layers (as the log is).
Metrics& HubMetrics();

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_METRICS_H_
