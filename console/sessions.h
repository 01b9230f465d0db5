#ifndef KETENHUB_CONSOLE_SESSIONS_H_
#define KETENHUB_CONSOLE_SESSIONS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ketenhub::console {

// A signed-in person's session: bound to their employee id (from their
// certificate), with a CSRF token for every form. Held in memory only.
struct Session {
  std::string id;  // the cookie's value: 32 random bytes, hex
  std::string employee_id;
  std::string csrf_token;  // 32 random bytes, hex
  absl::Time last_seen;
};

// The console's sessions, ended after `idle` without a request. Thread-safe.
class Sessions {
 public:
  explicit Sessions(absl::Duration idle) : idle_(idle) {}

  // The live session `id` of `employee_id`, touched; nullopt when there is
  // none, it idled out (then it is gone) or it is another person's.
  std::optional<Session> Find(const std::string& id,
                              const std::string& employee_id, absl::Time now);
  // Starts a session for `employee_id`.
  Session Start(const std::string& employee_id, absl::Time now);
  void End(const std::string& id);

 private:
  const absl::Duration idle_;
  absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_SESSIONS_H_
