#ifndef KETENHUB_TESTS_TESTING_SOFT_HSM_H_
#define KETENHUB_TESTS_TESTING_SOFT_HSM_H_

#include <string>

#include "tests/testing/test_hub.h"

namespace ketenhub::testing {

// The SoftHSM2 module Debian installs.
inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";

// A fresh SoftHSM2 token of this test's own (its configuration and token
// folder in a temporary folder, SOFTHSM2_CONF pointing at them for this
// process), initialised with `pin`. Fails the test when softhsm2-util does.
class SoftHsm {
 public:
  explicit SoftHsm(const std::string& label = "ketenhub-test",
                   const std::string& pin = "4321");

  // pkcs11:token=LABEL?module-path=...
  std::string uri() const;
  const std::string& pin() const { return pin_; }
  // A 0600 file holding the PIN.
  std::string pin_file() const;
  // The token's folder (what a copy of the token would copy).
  std::string token_dir() const;

 private:
  TempDir dir_;
  std::string label_;
  std::string pin_;
};

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_SOFT_HSM_H_
