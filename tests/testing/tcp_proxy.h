// A TCP relay on loopback that can go silent without closing anything: the
// way a peer looks to the hub when its network drops (a laptop that lost
// Wi-Fi). Used to show that keepalive pings find such peers.
#ifndef KETENHUB_TESTS_TESTING_TCP_PROXY_H_
#define KETENHUB_TESTS_TESTING_TCP_PROXY_H_

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace ketenhub::testing {

// Relays every connection made to 127.0.0.1:port() to 127.0.0.1:target_port.
// Thread-safe. The destructor closes all connections.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // From now on nothing is relayed in either direction, and nothing is
  // closed: both ends see a connection that has gone quiet.
  void GoSilent() { silent_ = true; }

 private:
  void AcceptLoop();
  void Relay(int from, int to);

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> silent_{false};
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_TCP_PROXY_H_
