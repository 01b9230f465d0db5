// The contract from another gRPC implementation: the Python example client
// (Debian's python3-grpcio, stubs generated from the .proto files by protoc)
// submits a signal to the real hub over mutual TLS and reads its status.
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/hub_process.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::CommandResult;
using ::ketenhub::testing::PkiFile;
using ::ketenhub::testing::RunCommand;
using ::testing::HasSubstr;

class PythonClientE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult generated = RunCommand(absl::StrCat(
        PROTOC_BINARY, " -I", KETENHUB_SOURCE_DIR,
        "/proto --python_out=", gen_.path(), " --grpc_python_out=", gen_.path(),
        " --plugin=protoc-gen-grpc_python=", GRPC_PYTHON_PLUGIN, " ",
        KETENHUB_SOURCE_DIR, "/proto/ketenhub/v1/signal.proto"));
    ASSERT_EQ(generated.exit_code, 0) << generated.output;
  }

  CommandResult Submit(const std::string& partner, const std::string& file) {
    return RunCommand(absl::StrCat(
        "PYTHONPATH=", gen_.path(), " ", PYTHON3_BINARY, " ",
        KETENHUB_SOURCE_DIR, "/client/examples/python/submit_signal.py",
        " --hub ", hub_.target(), " --cert ", PkiFile(partner + ".pem"),
        " --key ", PkiFile(partner + "-key.pem"), " --ca ", PkiFile("ca.pem"),
        " --attempts 2 ", file));
  }

  testing::TempDir gen_;
  testing::TestHub hub_;
};

const std::string kExample =
    KETENHUB_SOURCE_DIR "/deploy/examples/signal-politie.json";

std::string SignalIdIn(const std::string& output) {
  std::smatch match;
  static const std::regex kId("\"signalId\": \"([0-9a-f-]{36})\"");
  return std::regex_search(output, match, kId) ? match[1].str() : "";
}

TEST_F(PythonClientE2eTest, SubmitsAndReadsTheStatusOverMutualTls) {
  const CommandResult first = Submit("politie", kExample);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string id = SignalIdIn(first.output);
  ASSERT_FALSE(id.empty()) << first.output;
  EXPECT_THAT(first.output, HasSubstr("\"state\": \"SIGNAL_STATE_RECEIVED\""));

  // The C++ client sees the same signal; a replay gets the same receipt.
  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("politie")->GetStatus(id);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->client_ref(), "POL-2026-000417");
  const CommandResult again = Submit("politie", kExample);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(SignalIdIn(again.output), id);
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 1);
}

TEST_F(PythonClientE2eTest, AnOrganisationOutsideTheRegistryIsRefused) {
  const CommandResult refused = Submit("stranger", kExample);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output,
              HasSubstr("UNAUTHENTICATED: OIN 00000099000000000099 is not in"));
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 0);
}

}  // namespace
}  // namespace ketenhub
