#include "server/service/metrics_server.h"

#include <sys/socket.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "server/common/metrics.h"
#include "server/common/thread_name.h"

namespace ketenhub {
namespace {

class HttpMetricsServer final : public MetricsServer {
 public:
  HttpMetricsServer() {
    // cpp-httplib's default also sets SO_REUSEPORT, which lets a second hub
    // bind the same port and take every other scrape; only SO_REUSEADDR (a
    // quick restart) is wanted.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server_.Get("/metrics", [](const httplib::Request&, httplib::Response& r) {
      r.set_content(HubMetrics().Render(), "text/plain; version=0.0.4");
    });
  }
  ~HttpMetricsServer() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Listen(const std::string& host, int port) {
    port_ = port == 0 ? server_.bind_to_any_port(host)
                      : (server_.bind_to_port(host, port) ? port : -1);
    if (port_ <= 0) return absl::UnavailableError("cannot listen");
    thread_ = std::thread([this] {
      NameThisThread("keten-metrics");
      server_.listen_after_bind();
    });
    return absl::OkStatus();
  }
  int port() const override { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        "metrics_address: give host:port, e.g. 127.0.0.1:9464");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  auto server = std::make_unique<HttpMetricsServer>();
  if (!server->Listen(host, port).ok()) {
    return absl::UnavailableError(
        absl::StrCat("metrics_address: cannot listen on ", address));
  }
  return server;
}

}  // namespace ketenhub
