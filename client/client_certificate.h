#ifndef KETENHUB_CLIENT_CLIENT_CERTIFICATE_H_
#define KETENHUB_CLIENT_CLIENT_CERTIFICATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ketenhub {

// Checks a partner's identity before it connects, so that a certificate
// problem is named as one instead of surfacing as a network fault
// (UNAVAILABLE) in the TLS handshake: `cert_pem` (read from `cert_file`) is
// a PEM certificate valid at `now`, `key_pem` (from `key_file`) is the
// unencrypted private key that belongs to it, and `ca_pem` (from `ca_file`)
// holds a PEM certificate. FAILED_PRECONDITION naming the file and what is
// wrong ("certificate politie.pem expired on 2025-01-01 00:00 UTC", "the
// key in ggd-key.pem does not belong to the certificate politie.pem")
// otherwise. Whether the hub trusts the certificate's CA, only the hub
// knows. Thread-safe.
absl::Status CheckClientCertificate(const std::string& cert_pem,
                                    const std::string& cert_file,
                                    const std::string& key_pem,
                                    const std::string& key_file,
                                    const std::string& ca_pem,
                                    const std::string& ca_file, absl::Time now);

}  // namespace ketenhub

#endif  // KETENHUB_CLIENT_CLIENT_CERTIFICATE_H_
