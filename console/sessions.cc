#include "console/sessions.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"

namespace ketenhub::console {
namespace {

std::string RandomHex() {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

std::optional<Session> Sessions::Find(const std::string& id,
                                      const std::string& employee_id,
                                      absl::Time now) {
  absl::MutexLock lock(&mu_);
  // Idle sessions go first, whoever asks.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.last_seen > idle_ ? sessions_.erase(it) : ++it;
  }
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.employee_id != employee_id)
    return std::nullopt;
  it->second.last_seen = now;
  return it->second;
}

Session Sessions::Start(const std::string& employee_id, absl::Time now) {
  Session session{RandomHex(), employee_id, RandomHex(), now};
  absl::MutexLock lock(&mu_);
  sessions_[session.id] = session;
  return session;
}

void Sessions::End(const std::string& id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

}  // namespace ketenhub::console
