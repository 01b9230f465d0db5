#ifndef KETENHUB_CONSOLE_EVENT_FEED_H_
#define KETENHUB_CONSOLE_EVENT_FEED_H_

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/signal_client.h"
#include "ketenhub/v1/chain_director.grpc.pb.h"

namespace ketenhub::console {

// Follows the hub's event stream for the console's organisation, so that
// open worklists hear that something changed. It never acks (the stream's
// position belongs to the organisation's case system) and keeps nothing of
// the events but their number. Reconnects with backoff. Thread-safe.
class EventFeed {
 public:
  explicit EventFeed(ClientOptions hub);
  ~EventFeed();

  // Events seen so far.
  uint64_t generation() const;
  // Waits until generation() > `seen` or `timeout`; returns generation().
  uint64_t WaitBeyond(uint64_t seen, absl::Duration timeout) const;

 private:
  void Follow();

  const ClientOptions hub_;
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;  // last
};

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_EVENT_FEED_H_
