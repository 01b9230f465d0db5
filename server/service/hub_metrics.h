// The hub's Prometheus metrics: what they are, and the gauges read from the
// running hub at each scrape. See docs/operator-guide.md ("Monitoring").
#ifndef KETENHUB_SERVER_SERVICE_HUB_METRICS_H_
#define KETENHUB_SERVER_SERVICE_HUB_METRICS_H_

#include "ketenhub/v1/config.pb.h"
#include "server/policy/current_policy.h"
#include "server/service/rate_limiter.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// Declares every metric in HubMetrics() and installs the gauge readers,
// which use `store`, `limits` and `policy` until UnregisterHubGauges(); all
// must outlive that call.
void RegisterHubMetrics(const v1::HubConfig& config, const SignalStore* store,
                        PartnerLimits* limits, const CurrentPolicy* policy);
// Removes the readers that point into the running hub.
void UnregisterHubGauges();

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_HUB_METRICS_H_
