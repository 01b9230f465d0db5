#ifndef KETENHUB_SERVER_STORAGE_SIGNAL_LIFETIME_H_
#define KETENHUB_SERVER_STORAGE_SIGNAL_LIFETIME_H_

#include "ketenhub/v1/storage.pb.h"
#include "server/policy/lifecycle.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {

// The lifetime (policy/lifecycle.h) of a stored signal, or of its entry in
// the subject index (which knows its match window only).
inline lifecycle::Lifetime LifetimeOf(const v1::storage::StoredSignal& signal) {
  return {FromTimestamp(signal.received_at()), signal.match_window_days(),
          signal.retention_days()};
}
inline lifecycle::Lifetime LifetimeOf(
    const v1::storage::SubjectIndexEntry& entry) {
  return {FromTimestamp(entry.received_at()), entry.match_window_days(), 0};
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SIGNAL_LIFETIME_H_
