// Serves HubMetrics() at GET /metrics over plain HTTP on a loopback address,
// for a local Prometheus agent. Anything else gets 404.
#ifndef KETENHUB_SERVER_SERVICE_METRICS_SERVER_H_
#define KETENHUB_SERVER_SERVICE_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ketenhub {

class MetricsServer {
 public:
  // Listens on `address` ("127.0.0.1:9464"; port 0 picks a free one).
  // UNAVAILABLE naming the address when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address);
  virtual ~MetricsServer() = default;  // stops serving
  virtual int port() const = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_METRICS_SERVER_H_
