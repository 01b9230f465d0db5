// End to end for the chain director's worklist: each signal routed to the
// ketenregisseur moves new -> in triage -> decided -> closed (and back by a
// reopen) as a person takes each step; the states survive a restart, are
// audited as that person, and the list groups a person's signals.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Submit(TestHub& hub, const std::string& partner,
                   const std::string& ref, const std::string& bsn,
                   v1::Urgency urgency) {
  v1::Signal signal = ValidSignal(ref, v1::CATEGORY_SEXUAL_EXPLOITATION, bsn);
  signal.set_urgency(urgency);
  absl::StatusOr<v1::Receipt> receipt = hub.Client(partner)->Submit(signal);
  EXPECT_TRUE(receipt.ok()) << receipt.status();
  return receipt.ok() ? receipt->signal_id() : "";
}

std::vector<std::string> Ids(const v1::WorklistResponse& list) {
  std::vector<std::string> ids;
  for (const v1::WorkItem& item : list.items()) ids.push_back(item.signal_id());
  return ids;
}

v1::WorklistResponse List(TestHub& hub, v1::WorklistRequest request = {}) {
  absl::StatusOr<v1::WorklistResponse> list =
      hub.ChainDirector()->Worklist(request);
  EXPECT_TRUE(list.ok()) << list.status();
  return list.ok() ? *list : v1::WorklistResponse();
}

v1::WorklistResponse InState(TestHub& hub, v1::TriageState state) {
  v1::WorklistRequest request;
  request.set_state(state);
  return List(hub, request);
}

std::unique_ptr<ChainDirectorClient> DirectorAs(TestHub& hub,
                                                const std::string& user) {
  ClientOptions options = hub.Options("ketenregisseur");
  options.user_id = user;
  options.user_role = user.empty() ? "" : "procesregisseur";
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> client =
      ChainDirectorClient::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class WorklistE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One person signalled by the police (routine) and the GGD (acute);
    // another by Veilig Thuis (elevated).
    police_ = Submit(hub_, "politie", "w-1", "999990019", v1::URGENCY_ROUTINE);
    ggd_ = Submit(hub_, "ggd", "w-2", "999990019", v1::URGENCY_ACUTE);
    other_ =
        Submit(hub_, "veilig-thuis", "w-3", "999990032", v1::URGENCY_ELEVATED);
  }

  TestHub hub_;
  std::string police_, ggd_, other_;
};

TEST_F(WorklistE2eTest, ANewSignalIsNewAndAPersonsSignalsGoTogether) {
  v1::WorklistResponse list = List(hub_);
  // The person with the acute signal first, their signals together.
  EXPECT_THAT(Ids(list), ElementsAre(ggd_, police_, other_));
  EXPECT_EQ(list.total(), 3u);
  for (const v1::WorkItem& item : list.items()) {
    EXPECT_EQ(item.triage().state(), v1::TRIAGE_STATE_NEW);
    EXPECT_EQ(item.signal_state(), v1::SIGNAL_STATE_RECEIVED);
  }
  EXPECT_EQ(list.items(0).person_group(), police_);  // the oldest names it
  EXPECT_EQ(list.items(1).person_group(), police_);
  EXPECT_EQ(list.items(0).person_signals(), 2u);
  EXPECT_EQ(list.items(2).person_group(), other_);
  EXPECT_EQ(list.items(2).person_signals(), 1u);
  EXPECT_EQ(list.items(1).source_partner(), "politie");
  EXPECT_EQ(list.items(1).urgency(), v1::URGENCY_ROUTINE);
  EXPECT_EQ(list.items(1).category(), v1::CATEGORY_SEXUAL_EXPLOITATION);
}

TEST_F(WorklistE2eTest, StatesMoveAsSpecifiedAndSurviveARestart) {
  auto director = hub_.ChainDirector();  // as regisseur-1
  absl::StatusOr<v1::WorkItem> item = director->Assign(police_, "regisseur-2");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->triage().state(), v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(item->triage().assignee(), "regisseur-2");
  EXPECT_EQ(item->triage().changed_by(), "regisseur-1");
  // regisseur-2 hands it to regisseur-3.
  item = DirectorAs(hub_, "regisseur-2")->Assign(police_, "regisseur-3");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->triage().assignee(), "regisseur-3");
  EXPECT_EQ(item->triage().changed_by(), "regisseur-2");

  absl::StatusOr<v1::WorkItem> early = director->Close(police_, "niets");
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("decide before closing"));

  ASSERT_TRUE(
      director->Decide(police_, v1::OUTCOME_CASE_MEETING, "bespreken").ok());
  EXPECT_THAT(Ids(InState(hub_, v1::TRIAGE_STATE_DECIDED)),
              ElementsAre(police_));
  item = director->Close(police_, "afgeschaald: hulp loopt");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->triage().state(), v1::TRIAGE_STATE_CLOSED);
  EXPECT_EQ(item->triage().reason(), "afgeschaald: hulp loopt");
  // Closed is out of the default list, in the closed one.
  EXPECT_THAT(Ids(List(hub_)), ElementsAre(ggd_, other_));
  EXPECT_THAT(Ids(InState(hub_, v1::TRIAGE_STATE_CLOSED)),
              ElementsAre(police_));

  absl::StatusOr<v1::ReleasedSignal> closed_decide =
      director->Decide(police_, v1::OUTCOME_NO_ACTION, "toch niet");
  EXPECT_EQ(closed_decide.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(closed_decide.status().message(), HasSubstr("reopen"));

  hub_.Restart();
  v1::WorklistResponse closed = InState(hub_, v1::TRIAGE_STATE_CLOSED);
  ASSERT_EQ(closed.items_size(), 1);
  EXPECT_EQ(closed.items(0).triage().assignee(), "regisseur-3");
  EXPECT_EQ(closed.items(0).triage().reason(), "afgeschaald: hulp loopt");

  absl::StatusOr<v1::WorkItem> no_reason = director->Reopen(police_, "");
  EXPECT_EQ(no_reason.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_reason.status().message(), HasSubstr("reason"));
  item = hub_.ChainDirector()->Reopen(police_, "nieuw signaal van school");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->triage().state(), v1::TRIAGE_STATE_IN_TRIAGE);
  EXPECT_EQ(item->triage().assignee(), "regisseur-1");

  // GetSignal shows where it stands too.
  absl::StatusOr<v1::ReleasedSignal> read =
      hub_.ChainDirector()->GetSignal(police_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->triage().state(), v1::TRIAGE_STATE_IN_TRIAGE);
}

TEST_F(WorklistE2eTest, EveryStepIsAuditedAsItsPersonWithoutItsReason) {
  auto director = hub_.ChainDirector();
  ASSERT_TRUE(director->Assign(police_, "regisseur-2").ok());
  ASSERT_TRUE(
      director->Decide(police_, v1::OUTCOME_CASE_MEETING, "bespreken").ok());
  ASSERT_TRUE(director->Close(police_, "geheime afschalingsreden").ok());
  ASSERT_TRUE(List(hub_).items_size() > 0);
  std::vector<v1::AuditRecord> records;
  v1::AuditQueryRequest query;
  query.set_signal_id(police_);
  ASSERT_TRUE(hub_.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            records.push_back(record);
                            return true;
                          })
                  .ok());
  std::vector<std::string> steps;
  for (const v1::AuditRecord& record : records) {
    if (record.operation() == "assign" || record.operation() == "close") {
      steps.push_back(record.operation());
      EXPECT_EQ(record.acting_user_id(), "regisseur-1");
      EXPECT_EQ(record.status_code(), "OK");
      EXPECT_EQ(record.processing_activity_id(), "zvh-triage-casusregie");
      EXPECT_THAT(record.DebugString(),
                  ::testing::Not(HasSubstr("afschalingsreden")));
    }
    if (record.operation() == "assign") {
      EXPECT_EQ(record.details().at("assignee"), "regisseur-2");
    }
  }
  EXPECT_THAT(steps, ElementsAre("assign", "close"));
}

TEST_F(WorklistE2eTest, FiltersAndPages) {
  ASSERT_TRUE(hub_.ChainDirector()->Assign(other_, "regisseur-2").ok());
  v1::WorklistRequest request;
  request.set_assignee("regisseur-2");
  EXPECT_THAT(Ids(List(hub_, request)), ElementsAre(other_));
  request = {};
  request.set_urgency(v1::URGENCY_ACUTE);
  EXPECT_THAT(Ids(List(hub_, request)), ElementsAre(ggd_));
  request = {};
  request.set_person_of(ggd_);
  EXPECT_THAT(Ids(List(hub_, request)), ElementsAre(ggd_, police_));
  request = {};
  request.set_state(v1::TRIAGE_STATE_NEW);
  EXPECT_THAT(Ids(List(hub_, request)), ElementsAre(ggd_, police_));
  request = {};
  request.set_category(v1::CATEGORY_DOMESTIC_VIOLENCE);
  EXPECT_EQ(List(hub_, request).items_size(), 0);

  request = {};
  request.set_page_size(2);
  v1::WorklistResponse first = List(hub_, request);
  EXPECT_THAT(Ids(first), ElementsAre(ggd_, police_));
  EXPECT_EQ(first.total(), 3u);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::WorklistResponse second = List(hub_, request);
  EXPECT_THAT(Ids(second), ElementsAre(other_));
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(WorklistE2eTest, RefusalsNameTheRuleAndChangeNothing) {
  auto director = hub_.ChainDirector();
  struct Case {
    absl::StatusOr<v1::WorkItem> result;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({director->Assign(police_, "999990019"),
                   absl::StatusCode::kInvalidArgument, "assignee: is a BSN"});
  cases.push_back({director->Assign(police_, ""),
                   absl::StatusCode::kInvalidArgument, "assignee"});
  cases.push_back(
      {director->Assign("11111111-2222-4333-8444-555555555555", "regisseur-2"),
       absl::StatusCode::kNotFound, "signal_id"});
  cases.push_back({director->Assign("", "regisseur-2"),
                   absl::StatusCode::kInvalidArgument, "signal_id"});
  cases.push_back({director->Reopen(police_, "waarom"),
                   absl::StatusCode::kFailedPrecondition,
                   "only a closed signal is reopened"});
  cases.push_back({DirectorAs(hub_, "")->Assign(police_, "regisseur-2"),
                   absl::StatusCode::kUnauthenticated, "keten-user"});
  for (const Case& c : cases) {
    EXPECT_EQ(c.result.status().code(), c.code) << c.result.status();
    EXPECT_THAT(c.result.status().message(), HasSubstr(c.message));
  }
  const v1::WorklistResponse unchanged = List(hub_);
  ASSERT_EQ(unchanged.items_size(), 3);
  for (const v1::WorkItem& item : unchanged.items())
    EXPECT_EQ(item.triage().state(), v1::TRIAGE_STATE_NEW);

  v1::WorklistRequest bad;
  bad.set_page_size(501);
  EXPECT_EQ(director->Worklist(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = {};
  bad.set_page_token("x");
  EXPECT_THAT(director->Worklist(bad).status().message(),
              HasSubstr("page_token"));
  bad = {};
  bad.set_person_of("11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(director->Worklist(bad).status().code(),
            absl::StatusCode::kNotFound);
  // Not a chain director: no worklist at all.
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> ggd =
      ChainDirectorClient::Connect(hub_.Options("ggd"));
  ASSERT_TRUE(ggd.ok());
  EXPECT_EQ((*ggd)->Worklist({}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(WorklistE2eTest, AWithdrawnSignalShowsSoAndMayBeClosedUndecided) {
  ASSERT_TRUE(hub_.Client("politie")->Withdraw(police_, "dubbel").ok());
  v1::WorklistRequest request;
  request.set_person_of(police_);
  v1::WorklistResponse list = List(hub_, request);
  ASSERT_EQ(list.items_size(), 2);
  EXPECT_EQ(list.items(1).signal_id(), police_);
  EXPECT_EQ(list.items(1).signal_state(), v1::SIGNAL_STATE_WITHDRAWN);
  absl::StatusOr<v1::WorkItem> closed =
      hub_.ChainDirector()->Close(police_, "ingetrokken door de bron");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->triage().state(), v1::TRIAGE_STATE_CLOSED);
}

}  // namespace
}  // namespace ketenhub
