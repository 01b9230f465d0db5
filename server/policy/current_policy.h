#ifndef KETENHUB_SERVER_POLICY_CURRENT_POLICY_H_
#define KETENHUB_SERVER_POLICY_CURRENT_POLICY_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/policy/access_policy.h"

namespace ketenhub {

// The policy in force. Each request takes one snapshot and decides under it;
// a reload swaps in a new, fully validated policy atomically for later
// requests. Thread-safe.
class CurrentPolicy {
 public:
  explicit CurrentPolicy(std::shared_ptr<const AccessPolicy> policy)
      : policy_(std::move(policy)) {}
  CurrentPolicy(const CurrentPolicy&) = delete;
  CurrentPolicy& operator=(const CurrentPolicy&) = delete;

  std::shared_ptr<const AccessPolicy> Get() const {
    absl::MutexLock lock(&mu_);
    return policy_;
  }

  void Replace(std::shared_ptr<const AccessPolicy> policy) {
    absl::MutexLock lock(&mu_);
    policy_ = std::move(policy);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_CURRENT_POLICY_H_
