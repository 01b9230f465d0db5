#include "client/signal_client.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

ClientOptions Quick(int max_attempts) {
  ClientOptions options;
  options.max_attempts = max_attempts;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  options.attempt_deadline = absl::Seconds(3);
  return options;
}

TEST(CallWithRetriesTest, RetriesUnavailableUntilItSucceeds) {
  int attempts = 0;
  const absl::Status status =
      CallWithRetries(Quick(5), [&](grpc::ClientContext* context) {
        EXPECT_LT(context->deadline(),
                  std::chrono::system_clock::now() + std::chrono::seconds(4));
        return ++attempts < 3 ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                             "hub restarting")
                              : grpc::Status::OK;
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(attempts, 3);
}

TEST(CallWithRetriesTest, GivesUpAfterMaxAttemptsWithTheLastStatus) {
  int attempts = 0;
  const absl::Status status =
      CallWithRetries(Quick(4), [&](grpc::ClientContext*) {
        ++attempts;
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow");
      });
  EXPECT_EQ(attempts, 4);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(), "slow");
}

TEST(CallWithRetriesTest, NeverRetriesWhatRetryingCannotCure) {
  for (const grpc::StatusCode code :
       {grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::PERMISSION_DENIED,
        grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::FAILED_PRECONDITION,
        grpc::StatusCode::UNAUTHENTICATED}) {
    int attempts = 0;
    const absl::Status status =
        CallWithRetries(Quick(5), [&](grpc::ClientContext*) {
          ++attempts;
          return grpc::Status(code, "no");
        });
    EXPECT_EQ(attempts, 1) << code;
    EXPECT_EQ(static_cast<int>(status.code()), static_cast<int>(code));
  }
}

}  // namespace
}  // namespace ketenhub
