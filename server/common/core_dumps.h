#ifndef KETENHUB_SERVER_COMMON_CORE_DUMPS_H_
#define KETENHUB_SERVER_COMMON_CORE_DUMPS_H_

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ketenhub {

// The size of the locked memory for keys (OpenSSL's secure heap): room
// for the long-lived keys and for the short-lived private keys of many TLS
// handshakes at once (OpenSSL keeps those there too); a power of 2.
inline constexpr size_t kKeyMemoryBytes = 256 * 1024;

// Keeps key material out of core files and swap: the process becomes
// non-dumpable (PR_SET_DUMPABLE 0: no core file, no ptrace by other users,
// /proc/PID/mem closed), its core size limit 0, and OpenSSL's secure heap
// is set up: kKeyMemoryBytes locked in memory (mlock), left out of any dump
// (MADV_DONTDUMP), wiped when freed, where OpenSSL keeps private keys and
// SecretBytes the keys the programs hold. For every program that holds keys
// (the hub, ketenhub-admin, ketenwitness, ketenconsole). INTERNAL when the
// kernel refuses any of it (naming the memory lock limit when that is the
// cause). Thread-safe; process-wide; call before reading a key.
absl::Status ForbidCoreDumps();

// A key's bytes in the secure heap (above; in ordinary memory when the
// program never set it up, as in some tests). Immutable, shared.
class SecretBytes {
 public:
  // RESOURCE_EXHAUSTED when the locked memory is full.
  static absl::StatusOr<std::shared_ptr<const SecretBytes>> Copy(
      absl::string_view bytes);
  ~SecretBytes();
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  absl::string_view view() const { return absl::string_view(data_, size_); }
  // Whether the bytes are in the secure heap.
  bool Locked() const;

 private:
  explicit SecretBytes(absl::string_view bytes);
  char* data_ = nullptr;
  const size_t size_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_CORE_DUMPS_H_
