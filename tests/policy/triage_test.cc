#include "server/policy/triage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;
using Action = TriageStep::Action;

TriageStep Step(Action action, const std::string& assignee = "") {
  return {.action = action,
          .person = "regisseur-1",
          .assignee = assignee,
          .reason = "reden",
          .now = absl::FromUnixSeconds(1'800'000'000)};
}

v1::Triage In(v1::TriageState state, const std::string& assignee = "") {
  v1::Triage triage;
  triage.set_state(state);
  triage.set_assignee(assignee);
  return triage;
}

TEST(TriageTest, AssigningANewSignalPutsItInTriage) {
  v1::Triage triage;  // no entry yet: new
  ASSERT_TRUE(
      ApplyTriage(Step(Action::kAssign, "regisseur-2"), false, triage).ok());
  EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(triage.assignee(), "regisseur-2");
  EXPECT_EQ(triage.changed_by(), "regisseur-1");
  EXPECT_EQ(triage.changed_at().seconds(), 1'800'000'000);
  EXPECT_EQ(triage.reason(), "");  // an assignment carries no reason
}

TEST(TriageTest, AHandOverKeepsItInTriage) {
  v1::Triage triage = In(v1::TRIAGE_STATE_IN_TRIAGE, "regisseur-1");
  ASSERT_TRUE(
      ApplyTriage(Step(Action::kAssign, "regisseur-3"), false, triage).ok());
  EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(triage.assignee(), "regisseur-3");
}

TEST(TriageTest, DecidingKeepsTheAssigneeOrTakesIt) {
  v1::Triage assigned = In(v1::TRIAGE_STATE_IN_TRIAGE, "regisseur-3");
  ASSERT_TRUE(ApplyTriage(Step(Action::kDecide), false, assigned).ok());
  EXPECT_EQ(assigned.state(), v1::TRIAGE_STATE_DECIDED);
  EXPECT_EQ(assigned.assignee(), "regisseur-3");
  v1::Triage fresh = In(v1::TRIAGE_STATE_NEW);
  ASSERT_TRUE(ApplyTriage(Step(Action::kDecide), false, fresh).ok());
  EXPECT_EQ(fresh.assignee(), "regisseur-1");
}

TEST(TriageTest, OnlyADecidedOrWithdrawnSignalCloses) {
  for (v1::TriageState state :
       {v1::TRIAGE_STATE_NEW, v1::TRIAGE_STATE_IN_TRIAGE}) {
    v1::Triage triage = In(state);
    absl::Status closed = ApplyTriage(Step(Action::kClose), false, triage);
    EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(closed.message(), HasSubstr("decide before closing"));
    EXPECT_EQ(triage.state(), state);  // unchanged
    EXPECT_TRUE(ApplyTriage(Step(Action::kClose), true, triage).ok());
    EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_CLOSED);
  }
  v1::Triage decided = In(v1::TRIAGE_STATE_DECIDED, "regisseur-3");
  ASSERT_TRUE(ApplyTriage(Step(Action::kClose), false, decided).ok());
  EXPECT_EQ(decided.state(), v1::TRIAGE_STATE_CLOSED);
  EXPECT_EQ(decided.reason(), "reden");
}

TEST(TriageTest, AClosedSignalTakesOnlyAReopen) {
  for (Action action : {Action::kAssign, Action::kDecide, Action::kClose}) {
    v1::Triage triage = In(v1::TRIAGE_STATE_CLOSED, "regisseur-3");
    absl::Status refused =
        ApplyTriage(Step(action, "regisseur-2"), false, triage);
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.message(), HasSubstr("closed"));
    EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_CLOSED);
    EXPECT_EQ(triage.assignee(), "regisseur-3");
  }
  v1::Triage triage = In(v1::TRIAGE_STATE_CLOSED, "regisseur-3");
  ASSERT_TRUE(ApplyTriage(Step(Action::kReopen), false, triage).ok());
  EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(triage.assignee(), "regisseur-1");  // the reopener's
  EXPECT_EQ(triage.reason(), "reden");
}

TEST(TriageTest, OnlyAClosedSignalReopens) {
  v1::Triage triage = In(v1::TRIAGE_STATE_DECIDED);
  absl::Status refused = ApplyTriage(Step(Action::kReopen), false, triage);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("decided"));
}

TEST(TriageTest, EachReceiverHasItsOwnTriage) {
  v1::storage::StoredSignal signal;
  signal.add_receivers("zvh-a");
  signal.add_receivers("zvh-b");
  MutableTriageOf(signal, "zvh-a").set_state(v1::TRIAGE_STATE_CLOSED);
  EXPECT_EQ(TriageOf(signal, "zvh-a").state(), v1::TRIAGE_STATE_CLOSED);
  EXPECT_EQ(TriageOf(signal, "zvh-b").state(), v1::TRIAGE_STATE_NEW);
  EXPECT_EQ(WorkItemOf(signal, "zvh-b").triage().state(), v1::TRIAGE_STATE_NEW);
}

}  // namespace
}  // namespace ketenhub
