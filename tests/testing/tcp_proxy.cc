#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace ketenhub::testing {
namespace {

constexpr int kPollMs = 50;

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Waits up to kPollMs for `fd` to become readable.
bool Readable(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, kPollMs) > 0;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    std::abort();  // a test machine without loopback: nothing to test
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  acceptor_.join();
  absl::MutexLock lock(&mu_);
  for (std::thread& relay : relays_) relay.join();
  for (int fd : fds_) ::close(fd);
  ::close(listen_fd_);
}

void TcpProxy::AcceptLoop() {
  while (!stopping_) {
    if (!Readable(listen_fd_)) continue;
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in target = Loopback(target_port_);
    if (upstream < 0 ||
        ::connect(upstream, reinterpret_cast<const sockaddr*>(&target),
                  sizeof(target)) != 0) {
      ::close(client);
      if (upstream >= 0) ::close(upstream);
      continue;
    }
    absl::MutexLock lock(&mu_);
    fds_.push_back(client);
    fds_.push_back(upstream);
    relays_.emplace_back([this, client, upstream] { Relay(client, upstream); });
    relays_.emplace_back([this, client, upstream] { Relay(upstream, client); });
  }
}

void TcpProxy::Relay(int from, int to) {
  char buffer[16384];
  while (!stopping_) {
    if (silent_ || !Readable(from)) {
      if (silent_) ::usleep(kPollMs * 1000);
      continue;
    }
    const ssize_t n = ::read(from, buffer, sizeof(buffer));
    if (n <= 0) {
      ::shutdown(to, SHUT_WR);
      return;
    }
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t w = ::write(to, buffer + sent, n - sent);
      if (w <= 0) return;
      sent += w;
    }
  }
}

}  // namespace ketenhub::testing
