#include "server/service/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ketenhub {

absl::Status PartnerLimits::TakeSubmit(absl::string_view partner,
                                       const v1::RateLimit& rate,
                                       absl::Time now,
                                       absl::Duration* retry_after) {
  if (rate.per_second() == 0) return absl::OkStatus();
  const double burst = std::max<double>(rate.burst(), 1);
  absl::MutexLock lock(&mu_);
  Bucket& bucket = buckets_[partner];
  if (bucket.refilled == absl::InfinitePast()) {
    bucket.tokens = burst;
  } else {
    bucket.tokens = std::min(
        burst, bucket.tokens + absl::ToDoubleSeconds(now - bucket.refilled) *
                                   rate.per_second());
  }
  bucket.refilled = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  const int64_t wait_ms = static_cast<int64_t>(
      std::ceil((1 - bucket.tokens) * 1000.0 / rate.per_second()));
  if (retry_after != nullptr) *retry_after = absl::Milliseconds(wait_ms);
  return absl::ResourceExhaustedError(
      absl::StrCat("submit rate: at most ", rate.per_second(),
                   " signals a second for this partner (rule: submit_rate); "
                   "retry after ",
                   wait_ms, " ms"));
}

absl::Status PartnerLimits::OpenStream(absl::string_view partner,
                                       uint32_t max) {
  absl::MutexLock lock(&mu_);
  uint32_t& open = streams_[partner];
  if (open >= max) {
    return absl::ResourceExhaustedError(
        absl::StrCat("streams: at most ", max,
                     " open Subscribe streams per partner (rule: "
                     "max_streams_per_partner); close one first"));
  }
  ++open;
  return absl::OkStatus();
}

void PartnerLimits::CloseStream(absl::string_view partner) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(partner);
  if (it != streams_.end() && it->second > 0) --it->second;
}

absl::flat_hash_map<std::string, uint32_t> PartnerLimits::OpenStreams() {
  absl::MutexLock lock(&mu_);
  return streams_;
}

}  // namespace ketenhub
