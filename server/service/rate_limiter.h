#ifndef KETENHUB_SERVER_SERVICE_RATE_LIMITER_H_
#define KETENHUB_SERVER_SERVICE_RATE_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// Per-partner token buckets for submits, and per-partner counts of open
// streams. Thread-safe.
class PartnerLimits {
 public:
  // Takes one token from `partner`'s bucket under `rate` at `now`; OK, or
  // RESOURCE_EXHAUSTED naming the rate and when to retry (also returned in
  // `retry_after`).
  absl::Status TakeSubmit(absl::string_view partner, const v1::RateLimit& rate,
                          absl::Time now, absl::Duration* retry_after);

  // Opens a stream for `partner` if fewer than `max` are open;
  // RESOURCE_EXHAUSTED otherwise. Each OK needs one CloseStream.
  absl::Status OpenStream(absl::string_view partner, uint32_t max);
  void CloseStream(absl::string_view partner);
  // Open streams per partner (partners that never opened one are absent).
  absl::flat_hash_map<std::string, uint32_t> OpenStreams();

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_RATE_LIMITER_H_
