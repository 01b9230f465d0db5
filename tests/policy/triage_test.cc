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

TEST(TriageTest, AHandOverToTheOtherReceiverIsNewThereUnlessInTriage) {
  v1::storage::StoredSignal signal;
  signal.add_receivers("ketenregisseur");
  signal.add_receivers("zorgcoordinator");
  MutableTriageOf(signal, "ketenregisseur") =
      In(v1::TRIAGE_STATE_DECIDED, "regisseur-1");
  MutableTriageOf(signal, "zorgcoordinator") =
      In(v1::TRIAGE_STATE_CLOSED, "zorg-1");
  TriageStep step = Step(Action::kHandOver);
  step.to = "zorgcoordinator";
  ASSERT_TRUE(ApplyTriageTo(step, "ketenregisseur", signal).ok());
  const v1::Triage giver = TriageOf(signal, "ketenregisseur");
  EXPECT_EQ(giver.state(), v1::TRIAGE_STATE_HANDED_OVER);
  EXPECT_EQ(giver.hand_over().to(), "zorgcoordinator");
  const v1::Triage taker = TriageOf(signal, "zorgcoordinator");
  EXPECT_EQ(taker.state(), v1::TRIAGE_STATE_NEW);
  EXPECT_EQ(taker.assignee(), "");
  EXPECT_EQ(taker.hand_over().from(), "ketenregisseur");
  EXPECT_EQ(taker.hand_over().by(), "regisseur-1");
  EXPECT_EQ(taker.reason(), "reden");

  // Back, to a receiver with a person on it: it stays theirs.
  MutableTriageOf(signal, "zorgcoordinator") =
      In(v1::TRIAGE_STATE_IN_TRIAGE, "zorg-1");
  MutableTriageOf(signal, "ketenregisseur") =
      In(v1::TRIAGE_STATE_IN_TRIAGE, "regisseur-2");
  step.to = "ketenregisseur";
  ASSERT_TRUE(ApplyTriageTo(step, "zorgcoordinator", signal).ok());
  EXPECT_EQ(TriageOf(signal, "ketenregisseur").state(),
            v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(TriageOf(signal, "ketenregisseur").assignee(), "regisseur-2");
}

TEST(TriageTest, AHandOverGoesOnlyToAnotherReceiverOfTheSignal) {
  v1::storage::StoredSignal signal;
  signal.add_receivers("ketenregisseur");
  TriageStep step = Step(Action::kHandOver);
  step.to = "zorgcoordinator";
  absl::Status refused = ApplyTriageTo(step, "ketenregisseur", signal);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("to:"));
  EXPECT_EQ(signal.triage_size(), 0);  // unchanged
  step.to = "ketenregisseur";
  EXPECT_FALSE(ApplyTriageTo(step, "ketenregisseur", signal).ok());
}

TEST(TriageTest, AHandedOverSignalIsTheOthersUntilHandedBack) {
  v1::Triage triage = In(v1::TRIAGE_STATE_HANDED_OVER, "regisseur-1");
  for (Action action :
       {Action::kAssign, Action::kDecide, Action::kHandOver, Action::kReopen}) {
    v1::Triage copy = triage;
    EXPECT_EQ(ApplyTriage(Step(action, "regisseur-2"), false, copy).code(),
              absl::StatusCode::kFailedPrecondition);
  }
  // Closing is the giver's own afschaling.
  ASSERT_TRUE(ApplyTriage(Step(Action::kClose), false, triage).ok());
  EXPECT_EQ(triage.state(), v1::TRIAGE_STATE_CLOSED);
  // A withdrawn signal is closed, not handed over.
  v1::Triage fresh;
  EXPECT_THAT(ApplyTriage(Step(Action::kHandOver), true, fresh).message(),
              HasSubstr("withdrawn"));
}

}  // namespace
}  // namespace ketenhub
