// End to end for four eyes on a person's whole file: an export or erasure
// runs only on a request that an operator's person asked and a second
// person (the privacy officer) approved, once, before it expires; every
// step is audited with both persons. A real hub over real mutual TLS.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/subject_request.grpc.pb.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

constexpr char kReason[] = "AVG-15 verzoek 2026-0500";

// A client of `name`'s organisation acting as `user` (default: the dev
// person of that organisation).
std::unique_ptr<v1::SubjectRequestService::Stub> Requests(
    TestHub& hub, const std::string& name, const std::string& user = "",
    const std::string& user_role = "") {
  ClientOptions options = hub.Options(name);
  if (!user.empty()) options.user_id = user;
  if (!user_role.empty()) options.user_role = user_role;
  return v1::SubjectRequestService::NewStub(*MakeHubChannel(options));
}

std::unique_ptr<v1::AdminService::Stub> Admin(TestHub& hub,
                                              const std::string& user) {
  ClientOptions options = hub.Options("operator");
  options.user_id = user;
  return v1::AdminService::NewStub(*MakeHubChannel(options));
}

absl::StatusOr<v1::SubjectRequest> Ask(v1::SubjectRequestService::Stub& stub,
                                       v1::SubjectRequestKind kind,
                                       const std::string& bsn) {
  grpc::ClientContext context;
  v1::AskSubjectRequest request;
  request.set_kind(kind);
  request.mutable_subject()->set_bsn(bsn);
  request.set_reason(kReason);
  v1::SubjectRequest response;
  const grpc::Status status = stub.Ask(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return response;
}

grpc::Status Approve(v1::SubjectRequestService::Stub& stub,
                     const std::string& id) {
  grpc::ClientContext context;
  v1::ApproveSubjectRequest request;
  request.set_request_id(id);
  v1::SubjectRequest response;
  return stub.Approve(&context, request, &response);
}

// Runs the export of `bsn` on `request_id` as `admin`; the call's status
// and how many signals came.
std::pair<grpc::Status, int> RunExport(v1::AdminService::Stub& admin,
                                       const std::string& bsn,
                                       const std::string& request_id) {
  grpc::ClientContext context;
  v1::ExportSubjectRequest request;
  request.mutable_subject()->set_bsn(bsn);
  request.set_request_id(request_id);
  auto reader = admin.ExportSubject(&context, request);
  v1::ExportSubjectResponse part;
  int signals = 0;
  while (reader->Read(&part)) signals += part.signals_size();
  return {reader->Finish(), signals};
}

std::vector<v1::AuditRecord> Records(TestHub& hub,
                                     const std::string& operation) {
  v1::AuditQueryRequest query;
  query.set_operation(operation);
  return testing::QueryAudit(hub, query);
}

class FourEyesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bsn_ = testing::TestBsns()[0];
    for (const char* partner : {"politie", "ggd"}) {
      ASSERT_TRUE(
          hub_.Client(partner)
              ->Submit(ValidSignal(absl::StrCat("v-", partner),
                                   v1::CATEGORY_SEXUAL_EXPLOITATION, bsn_))
              .ok());
    }
  }

  TestHub hub_;
  std::string bsn_;
};

TEST_F(FourEyesE2eTest, AnApprovedExportRunsOnceAndEveryStepNamesBothPersons) {
  auto operator_requests = Requests(hub_, "operator");
  absl::StatusOr<v1::SubjectRequest> asked =
      Ask(*operator_requests, v1::SUBJECT_REQUEST_EXPORT, bsn_);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_EQ(asked->state(), v1::SUBJECT_REQUEST_PENDING);
  EXPECT_EQ(asked->requested_by().user_id(), "beheer-1");
  EXPECT_EQ(asked->subject_pseudonym().size(), 64u);
  auto admin = Admin(hub_, "beheer-1");

  // Not approved: refused, audited, nothing leaves.
  auto [pending, none] = RunExport(*admin, bsn_, asked->request_id());
  EXPECT_EQ(pending.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(pending.error_message(), HasSubstr("not approved yet"));
  EXPECT_EQ(none, 0);
  // Without a request at all: refused too.
  auto [without, nothing] = RunExport(*admin, bsn_, "");
  EXPECT_EQ(without.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(without.error_message(), HasSubstr("request_id"));

  // The privacy officer's organisation sees it pending; the chain director
  // does not.
  {
    grpc::ClientContext context;
    v1::ListSubjectRequestsResponse listed;
    ASSERT_TRUE(Requests(hub_, "auditor")
                    ->List(&context, v1::ListSubjectRequestsRequest(), &listed)
                    .ok());
    ASSERT_EQ(listed.requests_size(), 1);
    EXPECT_EQ(listed.requests(0).request_id(), asked->request_id());
    EXPECT_EQ(listed.requests(0).reason(), kReason);
    grpc::ClientContext refused;
    EXPECT_EQ(Requests(hub_, "ketenregisseur")
                  ->List(&refused, v1::ListSubjectRequestsRequest(), &listed)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Approved by the privacy officer: it runs, once.
  ASSERT_TRUE(Approve(*Requests(hub_, "auditor"), asked->request_id()).ok());
  auto [ran, signals] = RunExport(*admin, bsn_, asked->request_id());
  ASSERT_TRUE(ran.ok()) << ran.error_message();
  EXPECT_EQ(signals, 2);
  auto [again, more] = RunExport(*admin, bsn_, asked->request_id());
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), HasSubstr("runs once"));
  EXPECT_EQ(more, 0);

  // The trail: the request, the approval and the export, each with both
  // persons where both are known; the refusals too.
  const std::vector<v1::AuditRecord> asks = Records(hub_, "subject_request");
  ASSERT_EQ(asks.size(), 1u);
  EXPECT_EQ(asks[0].acting_user_id(), "beheer-1");
  EXPECT_EQ(asks[0].details().at("request_id"), asked->request_id());
  EXPECT_EQ(asks[0].data_subject_pseudonym(), asked->subject_pseudonym());
  const std::vector<v1::AuditRecord> approvals =
      Records(hub_, "subject_approve");
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(approvals[0].acting_user_id(), "privacy-1");
  EXPECT_EQ(approvals[0].details().at("requested_by"), "operator/beheer-1");
  EXPECT_EQ(approvals[0].details().at("approved_by"), "auditor/privacy-1");
  std::vector<std::string> exports;
  for (const v1::AuditRecord& r : Records(hub_, "subject_export")) {
    exports.push_back(r.status_code());
    // A refused export read nothing of the person's file.
    if (r.status_code() != "OK") EXPECT_EQ(r.signal_ids_size(), 0);
    if (r.status_code() == "OK") {
      EXPECT_EQ(r.acting_user_id(), "beheer-1");
      EXPECT_EQ(r.details().at("approved_by"), "auditor/privacy-1");
      EXPECT_EQ(r.details().at("request_id"), asked->request_id());
      EXPECT_EQ(r.signal_ids_size(), 2);
    }
  }
  EXPECT_THAT(exports,
              ::testing::ElementsAre("FAILED_PRECONDITION", "INVALID_ARGUMENT",
                                     "OK", "FAILED_PRECONDITION"));
}

TEST_F(FourEyesE2eTest, TwoRunsAtOnceOfOneApprovalExportOnce) {
  absl::StatusOr<std::string> approved =
      hub_.ApprovedRequest(v1::SUBJECT_REQUEST_EXPORT, [&] {
        v1::Subject subject;
        subject.set_bsn(bsn_);
        return subject;
      }());
  ASSERT_TRUE(approved.ok()) << approved.status();
  std::vector<grpc::StatusCode> codes(4);
  std::vector<std::thread> runs;
  for (size_t i = 0; i < codes.size(); ++i) {
    runs.emplace_back([&, i] {
      codes[i] = RunExport(*Admin(hub_, "beheer-1"), bsn_, *approved)
                     .first.error_code();
    });
  }
  for (std::thread& run : runs) run.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), grpc::StatusCode::OK), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(),
                       grpc::StatusCode::FAILED_PRECONDITION),
            3);
}

TEST_F(FourEyesE2eTest,
       OnlyASecondPersonOfAnApproverMayApproveAndOnlyTheAskerRuns) {
  absl::StatusOr<v1::SubjectRequest> asked =
      Ask(*Requests(hub_, "operator"), v1::SUBJECT_REQUEST_ERASE, bsn_);
  ASSERT_TRUE(asked.ok()) << asked.status();
  // The operator's organisation is no approver in the example policy,
  // whoever asks.
  grpc::Status by_operator =
      Approve(*Requests(hub_, "operator", "beheer-2"), asked->request_id());
  EXPECT_EQ(by_operator.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(by_operator.error_message(), HasSubstr("approver_roles"));
  // An auditor's person without the approver's function.
  grpc::Status by_clerk =
      Approve(*Requests(hub_, "auditor", "privacy-2", "medewerker"),
              asked->request_id());
  EXPECT_EQ(by_clerk.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(by_clerk.error_message(), HasSubstr("approver_user_roles"));
  // Unknown request.
  EXPECT_EQ(Approve(*Requests(hub_, "auditor"), "no-such-request").error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The refused attempts are in the person's history, naming the request.
  const std::vector<v1::AuditRecord> attempts =
      Records(hub_, "subject_approve");
  ASSERT_EQ(attempts.size(), 3u);
  for (const v1::AuditRecord& attempt : attempts)
    EXPECT_NE(attempt.status_code(), "OK");
  EXPECT_EQ(attempts[0].data_subject_pseudonym(), asked->subject_pseudonym());
  EXPECT_EQ(attempts[0].details().at("request_id"), asked->request_id());
  EXPECT_EQ(attempts[0].acting_user_id(), "beheer-2");

  ASSERT_TRUE(Approve(*Requests(hub_, "auditor"), asked->request_id()).ok());
  // Twice is not more.
  EXPECT_EQ(
      Approve(*Requests(hub_, "auditor"), asked->request_id()).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::EraseSubjectRequest erase;
  erase.mutable_subject()->set_bsn(bsn_);
  erase.set_request_id(asked->request_id());
  v1::EraseSubjectResponse erased;
  {  // Another operator's person may not run it.
    grpc::ClientContext context;
    grpc::Status other =
        Admin(hub_, "beheer-2")->EraseSubject(&context, erase, &erased);
    EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(other.error_message(), HasSubstr("another person"));
  }
  {  // Nor is it an export.
    auto [wrong_kind, none] =
        RunExport(*Admin(hub_, "beheer-1"), bsn_, asked->request_id());
    EXPECT_EQ(wrong_kind.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(wrong_kind.error_message(), HasSubstr("not to export"));
  }
  {  // Nor for someone else.
    v1::EraseSubjectRequest other = erase;
    other.mutable_subject()->set_bsn(testing::TestBsns()[1]);
    grpc::ClientContext context;
    EXPECT_EQ(Admin(hub_, "beheer-1")
                  ->EraseSubject(&context, other, &erased)
                  .error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  // Nothing was erased by the refusals.
  EXPECT_EQ(hub_.ChainDirector()->Worklist(v1::WorklistRequest())->items_size(),
            2);
  grpc::ClientContext context;
  ASSERT_TRUE(
      Admin(hub_, "beheer-1")->EraseSubject(&context, erase, &erased).ok());
  EXPECT_EQ(erased.erased_signal_ids_size(), 2);
  std::vector<std::string> outcomes;
  for (const v1::AuditRecord& r : Records(hub_, "subject_erase")) {
    outcomes.push_back(r.status_code());
    if (r.status_code() == "OK") {
      EXPECT_EQ(r.details().at("requested_by"), "operator/beheer-1");
      EXPECT_EQ(r.details().at("approved_by"), "auditor/privacy-1");
      EXPECT_EQ(r.details().at("reason"), kReason);
    }
  }
  EXPECT_THAT(outcomes, ::testing::ElementsAre("PERMISSION_DENIED",
                                               "FAILED_PRECONDITION", "OK"));
}

// Where the policy lets operators approve, the one who asked still cannot.
TEST(FourEyesPolicyE2eTest, TheAskerCannotApproveTheirOwnRequest) {
  testing::TempDir dir;
  TestHub hub(testing::ExamplePolicyWith(
      dir, {{"approver_roles: [ROLE_AUDITOR]",
             "approver_roles: [ROLE_AUDITOR, ROLE_OPERATOR]"},
            {"approver_user_roles: [\"privacy officer\"]", ""}}));
  ASSERT_TRUE(hub.Client("politie")
                  ->Submit(ValidSignal("s-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                       testing::TestBsns()[0]))
                  .ok());
  absl::StatusOr<v1::SubjectRequest> asked =
      Ask(*Requests(hub, "operator"), v1::SUBJECT_REQUEST_EXPORT,
          testing::TestBsns()[0]);
  ASSERT_TRUE(asked.ok()) << asked.status();
  grpc::Status self =
      Approve(*Requests(hub, "operator", "beheer-1"), asked->request_id());
  EXPECT_EQ(self.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(self.error_message(), HasSubstr("their own request"));
  auto [still_pending, none] = RunExport(
      *Admin(hub, "beheer-1"), testing::TestBsns()[0], asked->request_id());
  EXPECT_EQ(still_pending.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // A colleague may.
  ASSERT_TRUE(
      Approve(*Requests(hub, "operator", "beheer-2"), asked->request_id())
          .ok());
  EXPECT_TRUE(RunExport(*Admin(hub, "beheer-1"), testing::TestBsns()[0],
                        asked->request_id())
                  .first.ok());
}

TEST(FourEyesPolicyE2eTest, ALapsedRequestDoesNotRunAndItsExpiryIsRecorded) {
  testing::TempDir dir;
  TestHub hub(testing::ExamplePolicyWith(
      dir, {{"valid_for: \"72h\"", "valid_for: \"2s\""}}));
  const std::string bsn = testing::TestBsns()[0];
  ASSERT_TRUE(
      hub.Client("politie")
          ->Submit(ValidSignal("s-1", v1::CATEGORY_SEXUAL_EXPLOITATION, bsn))
          .ok());
  v1::Subject subject;
  subject.set_bsn(bsn);
  absl::StatusOr<std::string> approved =
      hub.ApprovedRequest(v1::SUBJECT_REQUEST_EXPORT, subject);
  ASSERT_TRUE(approved.ok()) << approved.status();
  absl::SleepFor(absl::Seconds(2.2));
  auto [lapsed, none] = RunExport(*Admin(hub, "beheer-1"), bsn, *approved);
  EXPECT_EQ(lapsed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(lapsed.error_message(), HasSubstr("expired"));
  EXPECT_EQ(none, 0);
  // The hub records the expiry, naming both persons.
  std::vector<v1::AuditRecord> expired;
  for (int i = 0; i < 100 && expired.empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(200));
    expired = Records(hub, "subject_request_expired");
  }
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].status_code(), "OK");
  EXPECT_EQ(expired[0].details().at("request_id"), *approved);
  EXPECT_EQ(expired[0].details().at("requested_by"), "operator/beheer-1");
  EXPECT_EQ(expired[0].details().at("approved_by"), "auditor/privacy-1");
  EXPECT_FALSE(expired[0].data_subject_pseudonym().empty());
  // Listed, it shows as expired.
  grpc::ClientContext context;
  v1::ListSubjectRequestsRequest all;
  all.set_all(true);
  v1::ListSubjectRequestsResponse listed;
  ASSERT_TRUE(Requests(hub, "auditor")->List(&context, all, &listed).ok());
  ASSERT_EQ(listed.requests_size(), 1);
  EXPECT_EQ(listed.requests(0).state(), v1::SUBJECT_REQUEST_EXPIRED);
}

TEST(FourEyesPolicyE2eTest, WithoutApproversNothingCanBeAsked) {
  testing::TempDir dir;
  TestHub hub(testing::ExamplePolicyWith(
      dir, {{"approver_roles: [ROLE_AUDITOR]", ""}}));
  absl::StatusOr<v1::SubjectRequest> asked =
      Ask(*Requests(hub, "operator"), v1::SUBJECT_REQUEST_ERASE,
          testing::TestBsns()[0]);
  EXPECT_EQ(asked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(asked.status().message(), HasSubstr("approver_roles"));
}

TEST_F(FourEyesE2eTest, ARefusedRequestDoesNotRunAndCallsMustNameThePerson) {
  absl::StatusOr<v1::SubjectRequest> asked =
      Ask(*Requests(hub_, "operator"), v1::SUBJECT_REQUEST_EXPORT, bsn_);
  ASSERT_TRUE(asked.ok()) << asked.status();
  {
    grpc::ClientContext context;
    v1::RefuseSubjectRequest refuse;
    refuse.set_request_id(asked->request_id());
    v1::SubjectRequest refused;
    EXPECT_EQ(Requests(hub_, "auditor")
                  ->Refuse(&context, refuse, &refused)
                  .error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);  // a reason is required
    refuse.set_reason("geen verzoek van betrokkene gevonden");
    grpc::ClientContext again;
    ASSERT_TRUE(
        Requests(hub_, "auditor")->Refuse(&again, refuse, &refused).ok());
    EXPECT_EQ(refused.state(), v1::SUBJECT_REQUEST_REFUSED);
    EXPECT_EQ(refused.decided_by().user_id(), "privacy-1");
  }
  auto [ran, none] =
      RunExport(*Admin(hub_, "beheer-1"), bsn_, asked->request_id());
  EXPECT_EQ(ran.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(ran.error_message(), HasSubstr("refused"));
  EXPECT_EQ(Records(hub_, "subject_refuse").back().details().at("refused_by"),
            "auditor/privacy-1");
  // Four eyes need names: an operator's call without a person is refused,
  // whatever the policy's person_rules say.
  ClientOptions anonymous = hub_.Options("operator");
  anonymous.user_id.clear();
  anonymous.user_role.clear();
  grpc::ClientContext context;
  v1::AskSubjectRequest request;
  request.set_kind(v1::SUBJECT_REQUEST_EXPORT);
  request.mutable_subject()->set_bsn(bsn_);
  request.set_reason(kReason);
  v1::SubjectRequest response;
  EXPECT_EQ(v1::SubjectRequestService::NewStub(*MakeHubChannel(anonymous))
                ->Ask(&context, request, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace ketenhub
