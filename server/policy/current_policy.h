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
  explicit CurrentPolicy(std::shared_ptr<const AccessPolicy> policy,
                         std::string path = "")
      : path_(std::move(path)), policy_(std::move(policy)) {}
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

  // The file this policy came from.
  const std::string& path() const { return path_; }

  // Re-reads the file this policy came from, validates it completely and
  // swaps it in; on any problem returns the error (naming the line or rule)
  // and the current policy stays. Returns the new version.
  absl::StatusOr<std::string> ReloadFromFile() {
    absl::StatusOr<std::unique_ptr<AccessPolicy>> loaded =
        AccessPolicy::FromFile(path_);
    if (!loaded.ok()) return loaded.status();
    std::string version = (*loaded)->version();
    Replace(*std::move(loaded));
    return version;
  }

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_CURRENT_POLICY_H_
