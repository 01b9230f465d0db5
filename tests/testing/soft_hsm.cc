#include "tests/testing/soft_hsm.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/common/files.h"

namespace ketenhub::testing {

SoftHsm::SoftHsm(const std::string& label, const std::string& pin)
    : label_(label), pin_(pin) {
  std::filesystem::create_directories(token_dir());
  const std::string conf = dir_.path() + "/softhsm2.conf";
  EXPECT_TRUE(WritePrivateFile(
                  conf, absl::StrCat("directories.tokendir = ", token_dir(),
                                     "\nobjectstore.backend = file\n"
                                     "log.level = ERROR\n"))
                  .ok());
  ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  const std::string init =
      absl::StrCat("softhsm2-util --init-token --free --label '", label_,
                   "' --so-pin 87654321 --pin '", pin_, "' > /dev/null");
  EXPECT_EQ(std::system(init.c_str()), 0) << init;
  EXPECT_TRUE(WritePrivateFile(pin_file(), pin_ + "\n").ok());
}

std::string SoftHsm::uri() const {
  return absl::StrCat("pkcs11:token=", label_, "?module-path=", kSoftHsmModule);
}

std::string SoftHsm::pin_file() const { return dir_.path() + "/pin"; }

std::string SoftHsm::token_dir() const { return dir_.path() + "/tokens"; }

}  // namespace ketenhub::testing
