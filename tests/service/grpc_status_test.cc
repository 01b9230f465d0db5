#include "server/service/grpc_status.h"

#include "gtest/gtest.h"
#include "server/common/caller_status.h"

namespace ketenhub {
namespace {

struct Case {
  absl::Status in;
  grpc::StatusCode code;
  std::string message;
};

class GrpcStatusTest : public ::testing::TestWithParam<Case> {};

TEST_P(GrpcStatusTest, MapsCodeAndMessage) {
  grpc::Status status = ToGrpcStatus(GetParam().in);
  EXPECT_EQ(status.error_code(), GetParam().code);
  EXPECT_EQ(status.error_message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, GrpcStatusTest,
    ::testing::Values(
        Case{absl::OkStatus(), grpc::StatusCode::OK, ""},
        Case{absl::InvalidArgumentError("summary: required"),
             grpc::StatusCode::INVALID_ARGUMENT, "summary: required"},
        Case{absl::UnauthenticatedError("no OIN"),
             grpc::StatusCode::UNAUTHENTICATED, "no OIN"},
        Case{absl::PermissionDeniedError("rule"),
             grpc::StatusCode::PERMISSION_DENIED, "rule"},
        Case{absl::AlreadyExistsError("client_ref"),
             grpc::StatusCode::ALREADY_EXISTS, "client_ref"},
        Case{absl::NotFoundError("signal_id"), grpc::StatusCode::NOT_FOUND,
             "signal_id"},
        Case{absl::ResourceExhaustedError("rate"),
             grpc::StatusCode::RESOURCE_EXHAUSTED, "rate"},
        Case{absl::UnavailableError("retry"), grpc::StatusCode::UNAVAILABLE,
             "retry"},
        Case{absl::FailedPreconditionError("state"),
             grpc::StatusCode::FAILED_PRECONDITION, "state"},
        Case{absl::DeadlineExceededError("late"),
             grpc::StatusCode::DEADLINE_EXCEEDED, "late"},
        Case{absl::CancelledError("gone"), grpc::StatusCode::CANCELLED, "gone"},
        Case{absl::UnimplementedError("later"), grpc::StatusCode::UNIMPLEMENTED,
             "later"},
        // Internal details never leave the hub.
        Case{absl::InternalError("/var/lib/ketenhub/db: MANIFEST"),
             grpc::StatusCode::INTERNAL, "internal error"},
        Case{absl::DataLossError("record 12 unreadable"),
             grpc::StatusCode::INTERNAL, "internal error"},
        Case{absl::UnknownError("?"), grpc::StatusCode::INTERNAL,
             "internal error"},
        // Evidence for the caller (an altered audit index) keeps its words;
        // only DATA_LOSS may be so marked.
        Case{ForCaller(absl::DataLossError("the audit index misses record 3")),
             grpc::StatusCode::DATA_LOSS, "the audit index misses record 3"},
        Case{ForCaller(absl::InternalError("/var/lib/ketenhub/db")),
             grpc::StatusCode::INTERNAL, "internal error"}));

}  // namespace
}  // namespace ketenhub
