#ifndef KETENHUB_SERVER_ROUTING_EVENT_NOTIFIER_H_
#define KETENHUB_SERVER_ROUTING_EVENT_NOTIFIER_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ketenhub {

// Something waiting for events past a cursor (a subscriber's stream).
class EventWaiter {
 public:
  virtual ~EventWaiter() = default;
  // Called on the notifier's thread when events past the waited-for cursor
  // were committed, or when the notifier closes. May read storage.
  virtual void Wake() = 0;
};

// Wakes waiting streams when new events are committed. Notify() is cheap and
// never blocks on I/O, so the commit pipeline can call it; the wake-ups run on
// the notifier's own thread. No wake-up is lost: a waiter that registers
// after its events were announced is told so at once. Thread-safe.
class EventNotifier {
 public:
  explicit EventNotifier(uint64_t last_cursor);
  EventNotifier(const EventNotifier&) = delete;
  EventNotifier& operator=(const EventNotifier&) = delete;
  ~EventNotifier();  // Closes.

  // Events up to `last_cursor` are committed.
  void Notify(uint64_t last_cursor);

  // Registers `waiter` to be woken once events past `scanned_to` exist.
  // Returns false, without registering, when they already do or the notifier
  // is closed: the caller should read again (or finish) itself. The notifier
  // keeps only a weak reference.
  bool WaitPast(const std::shared_ptr<EventWaiter>& waiter,
                uint64_t scanned_to);

  bool closed() const;

  // Wakes every waiter one last time and stops the thread. Idempotent.
  void Close();

 private:
  struct Waiting {
    std::weak_ptr<EventWaiter> waiter;
    uint64_t scanned_to;
  };
  void Run();

  mutable absl::Mutex mu_;
  uint64_t last_cursor_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: it starts running in the constructor
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_ROUTING_EVENT_NOTIFIER_H_
