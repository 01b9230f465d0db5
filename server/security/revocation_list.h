#ifndef KETENHUB_SERVER_SECURITY_REVOCATION_LIST_H_
#define KETENHUB_SERVER_SECURITY_REVOCATION_LIST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ketenhub {

// The certificate revocation lists (CRLs) the hub enforces itself, on every
// call: gRPC's TLS layer lets a certificate through when no CRL is found.
// Fail closed: a CRL that cannot be read, is not signed by the trusted CA or
// is past its nextUpdate refuses every caller. Thread-safe.
class RevocationList {
 public:
  // Reads every PEM CRL in `crl_files`; each must be signed by a CA in
  // `ca_file`. FAILED_PRECONDITION naming the file otherwise. With no files,
  // nothing is ever revoked.
  static absl::StatusOr<std::unique_ptr<RevocationList>> Load(
      std::vector<std::string> crl_files, std::string ca_file);

  // OK when a certificate with this serial (lower-case hex, as
  // CertificateIdentity has it) is not revoked and every CRL is current at
  // `now`. UNAUTHENTICATED when revoked; UNAVAILABLE when a CRL is past its
  // nextUpdate or unusable since the last reload. Such a refusal is logged
  // (revocation_list_unusable, with the operator's reason) at most once per
  // kRefusalLogInterval.
  absl::Status Check(absl::string_view serial_hex, absl::Time now) const;

  // OK when the lists are usable at `now`; else FAILED_PRECONDITION with
  // what the operator must repair (which file, or the nextUpdate passed).
  absl::Status Usable(absl::Time now) const;

  static constexpr absl::Duration kRefusalLogInterval = absl::Seconds(10);

  // Re-reads the files. On failure the lists become unusable (every Check
  // refuses) until a reload succeeds; returns the problem, which the caller
  // logs.
  absl::Status Reload();

 private:
  RevocationList(std::vector<std::string> crl_files, std::string ca_file)
      : crl_files_(std::move(crl_files)), ca_file_(std::move(ca_file)) {}
  absl::Status UsableLocked(absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> crl_files_;
  const std::string ca_file_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> revoked_ ABSL_GUARDED_BY(mu_);
  absl::Time next_update_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Status usable_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time refusal_logged_ ABSL_GUARDED_BY(mu_) =
      absl::InfinitePast();
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SECURITY_REVOCATION_LIST_H_
