#include "server/common/core_dumps.h"

#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ketenhub {

absl::Status ForbidCoreDumps() {
  // Under the systemd unit (LimitCORE=0) the limit is 0 already, and its
  // system-call filter refuses setrlimit: ask first.
  rlimit current{};
  const rlimit none = {0, 0};
  const bool already = getrlimit(RLIMIT_CORE, &current) == 0 &&
                       current.rlim_cur == 0 && current.rlim_max == 0;
  if (!already && setrlimit(RLIMIT_CORE, &none) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot set the core size limit to 0: ", strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot make the process non-dumpable: ", strerror(errno)));
  }
  // OpenSSL's secure heap: locked, out of dumps, wiped when freed; once
  // per process (a second call finds it set up).
  if (CRYPTO_secure_malloc_initialized() == 1) return absl::OkStatus();
  if (CRYPTO_secure_malloc_init(kKeyMemoryBytes, 16) != 1) {
    return absl::InternalError(absl::StrCat(
        "cannot lock ", kKeyMemoryBytes / 1024,
        " KiB of memory for keys (mlock): raise the memory lock limit "
        "(LimitMEMLOCK= in the unit, ulimit -l)"));
  }
  return absl::OkStatus();
}

SecretBytes::SecretBytes(absl::string_view bytes) : size_(bytes.size()) {
  data_ = static_cast<char*>(OPENSSL_secure_malloc(bytes.size()));
  if (data_ != nullptr) std::memcpy(data_, bytes.data(), bytes.size());
}

SecretBytes::~SecretBytes() {
  if (data_ != nullptr) OPENSSL_secure_clear_free(data_, size_);
}

absl::StatusOr<std::shared_ptr<const SecretBytes>> SecretBytes::Copy(
    absl::string_view bytes) {
  auto secret = std::shared_ptr<SecretBytes>(new SecretBytes(bytes));
  if (secret->data_ == nullptr) {
    return absl::ResourceExhaustedError(
        "no room left in the locked memory for keys");
  }
  return secret;
}

bool SecretBytes::Locked() const {
  return data_ != nullptr && CRYPTO_secure_allocated(data_) == 1;
}

}  // namespace ketenhub
