// End to end for the second receiver: the zorgcoördinator mensenhandel
// beside the chain director, each with its own route, releases, worklist
// and decisions, over real mutual TLS on loopback with the example policy.
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
using ::testing::HasSubstr;

constexpr char kDirector[] = "ketenregisseur";
constexpr char kCare[] = "zorgcoordinator";

// A police signal of sexual exploitation with a general, a police and a
// criminal-records section.
v1::Signal ExploitationSignal(const std::string& ref) {
  v1::Signal signal = ValidSignal(ref, v1::CATEGORY_SEXUAL_EXPLOITATION);
  v1::Section* general = signal.add_sections();
  general->set_kind(v1::DATA_KIND_GENERAL);
  general->set_title("Situatie");
  general->set_text("Woont bij de pooier in");
  v1::Section* criminal = signal.add_sections();
  criminal->set_kind(v1::DATA_KIND_CRIMINAL);
  criminal->set_title("Justitiele gegevens");
  criminal->set_text("Lopend onderzoek");
  return signal;
}

v1::Disclosure DisclosureOf(const v1::ReleasedSignal& signal,
                            v1::DataKind kind) {
  for (const v1::ReleasedSection& section : signal.sections()) {
    if (section.kind() == kind) return section.disclosure();
  }
  return v1::DISCLOSURE_UNSPECIFIED;
}

std::vector<std::string> WorklistIds(ChainDirectorClient& client) {
  absl::StatusOr<v1::WorklistResponse> list =
      client.Worklist(v1::WorklistRequest());
  EXPECT_TRUE(list.ok()) << list.status();
  std::vector<std::string> ids;
  if (list.ok()) {
    for (const v1::WorkItem& item : list->items())
      ids.push_back(item.signal_id());
  }
  return ids;
}

v1::DecideRequest Decision(const std::string& signal_id, v1::Outcome outcome,
                           const std::string& reason) {
  v1::DecideRequest request;
  request.set_signal_id(signal_id);
  request.set_outcome(outcome);
  request.set_reason(reason);
  return request;
}

class CareCoordinatorE2eTest : public ::testing::Test {
 protected:
  v1::Receipt Submit(const std::string& partner, const v1::Signal& signal) {
    absl::StatusOr<v1::Receipt> receipt = hub_.Client(partner)->Submit(signal);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return receipt.value_or(v1::Receipt());
  }

  TestHub hub_;
};

TEST_F(CareCoordinatorE2eTest, ExploitationReachesBothEachUnderItsOwnRoute) {
  const v1::Receipt receipt = Submit("politie", ExploitationSignal("mh-1"));
  auto director = hub_.ChainDirector(kDirector);
  auto care = hub_.ChainDirector(kCare);

  std::vector<v1::Event> to_care = testing::CollectEvents(*care, 1);
  ASSERT_EQ(to_care.size(), 1u);
  ASSERT_TRUE(to_care[0].has_signal_received());
  const v1::ReleasedSignal& cared = to_care[0].signal_received();
  EXPECT_EQ(cared.signal_id(), receipt.signal_id());
  // Care gets what care needs; never the police's investigation data.
  EXPECT_EQ(DisclosureOf(cared, v1::DATA_KIND_GENERAL),
            v1::DISCLOSURE_RELEASED);
  EXPECT_EQ(DisclosureOf(cared, v1::DATA_KIND_POLICE),
            v1::DISCLOSURE_WITHHELD_NEVER);
  EXPECT_EQ(DisclosureOf(cared, v1::DATA_KIND_CRIMINAL),
            v1::DISCLOSURE_WITHHELD_NEVER);
  for (const v1::ReleasedSection& section : cared.sections()) {
    if (section.kind() != v1::DATA_KIND_GENERAL) EXPECT_EQ(section.text(), "");
  }

  std::vector<v1::Event> to_director = testing::CollectEvents(*director, 1);
  ASSERT_EQ(to_director.size(), 1u);
  const v1::ReleasedSignal& directed = to_director[0].signal_received();
  EXPECT_EQ(DisclosureOf(directed, v1::DATA_KIND_POLICE),
            v1::DISCLOSURE_RELEASED);
  EXPECT_EQ(DisclosureOf(directed, v1::DATA_KIND_CRIMINAL),
            v1::DISCLOSURE_WITHHELD_RELEASABLE);

  // Each has it in its own worklist.
  EXPECT_THAT(WorklistIds(*care), ::testing::ElementsAre(receipt.signal_id()));
  EXPECT_THAT(WorklistIds(*director),
              ::testing::ElementsAre(receipt.signal_id()));

  // The care coordinator cannot release what its route never releases.
  v1::ReleaseRequest release;
  release.set_signal_id(receipt.signal_id());
  release.set_kind(v1::DATA_KIND_CRIMINAL);
  release.set_legal_basis("Wmo 2015 art. 5.2.6");
  absl::StatusOr<v1::ReleasedSignal> refused = care->Release(release);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("kind:"));
}

TEST_F(CareCoordinatorE2eTest, DomesticViolenceDoesNotReachCare) {
  const v1::Receipt abuse =
      Submit("politie", ValidSignal("hg-1", v1::CATEGORY_DOMESTIC_VIOLENCE));
  const v1::Receipt exploited = Submit("politie", ExploitationSignal("mh-2"));
  auto care = hub_.ChainDirector(kCare);
  std::vector<v1::Event> events = testing::CollectEvents(*care, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].signal_received().signal_id(), exploited.signal_id());
  EXPECT_EQ(care->GetSignal(abuse.signal_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(WorklistIds(*care),
              ::testing::ElementsAre(exploited.signal_id()));
  // The chain director has both.
  EXPECT_EQ(WorklistIds(*hub_.ChainDirector(kDirector)).size(), 2u);
}

// A match tells each receiver only of signals routed to it: the care
// coordinator does not learn through a match that the police signalled its
// victim for domestic violence.
TEST_F(CareCoordinatorE2eTest, AMatchNamesOnlyTheReceiversOwnSignals) {
  const std::string abuse =
      Submit("politie", ValidSignal("hg-3", v1::CATEGORY_DOMESTIC_VIOLENCE))
          .signal_id();
  v1::Signal exploitation =
      ValidSignal("ggd-mh-2", v1::CATEGORY_SEXUAL_EXPLOITATION);
  exploitation.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
  const std::string cared = Submit("ggd", exploitation).signal_id();
  // The chain director: both signals, and their match.
  std::vector<v1::Event> directed =
      testing::CollectEvents(*hub_.ChainDirector(kDirector), 3);
  ASSERT_EQ(directed.size(), 3u);
  ASSERT_TRUE(directed[2].has_match_found());
  EXPECT_EQ(directed[2].match_found().signals_size(), 2);
  // A later signal for the care coordinator, so that its stream has
  // passed the match when it arrives.
  const std::string later =
      Submit("politie", ExploitationSignal("mh-7")).signal_id();
  std::vector<v1::Event> to_care =
      testing::CollectEvents(*hub_.ChainDirector(kCare), 2);
  ASSERT_EQ(to_care.size(), 2u);
  EXPECT_EQ(to_care[0].signal_received().signal_id(), cared);
  EXPECT_EQ(to_care[1].signal_received().signal_id(), later);
  for (const v1::Event& event : to_care)
    EXPECT_THAT(event.DebugString(), ::testing::Not(HasSubstr(abuse)));
  // Nor in the audit trail's deliveries to it.
  v1::AuditQueryRequest query;
  query.set_signal_id(abuse);
  for (const v1::AuditRecord& record : testing::QueryAudit(hub_, query))
    EXPECT_NE(record.actor_partner_id(), kCare) << record.operation();
}

TEST_F(CareCoordinatorE2eTest, AReleaseByOneIsNotAReleaseForTheOther) {
  v1::Signal signal = ValidSignal("ggd-mh-1", v1::CATEGORY_SEXUAL_EXPLOITATION);
  signal.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
  const v1::Receipt receipt = Submit("ggd", signal);
  auto director = hub_.ChainDirector(kDirector);
  auto care = hub_.ChainDirector(kCare);

  v1::ReleaseRequest release;
  release.set_signal_id(receipt.signal_id());
  release.set_kind(v1::DATA_KIND_HEALTH);
  release.set_legal_basis("AVG art. 9(2)(g); Wmo 2015 art. 5.2.6");
  absl::StatusOr<v1::ReleasedSignal> by_director = director->Release(release);
  ASSERT_TRUE(by_director.ok()) << by_director.status();
  EXPECT_EQ(DisclosureOf(*by_director, v1::DATA_KIND_HEALTH),
            v1::DISCLOSURE_RELEASED);

  absl::StatusOr<v1::ReleasedSignal> care_view =
      care->GetSignal(receipt.signal_id());
  ASSERT_TRUE(care_view.ok()) << care_view.status();
  EXPECT_EQ(DisclosureOf(*care_view, v1::DATA_KIND_HEALTH),
            v1::DISCLOSURE_WITHHELD_RELEASABLE);
  EXPECT_EQ(care_view->sections(0).text(), "");

  release.set_legal_basis("AVG art. 9(2)(h); zorg voor het slachtoffer");
  absl::StatusOr<v1::ReleasedSignal> by_care = care->Release(release);
  ASSERT_TRUE(by_care.ok()) << by_care.status();
  ASSERT_EQ(by_care->sections_size(), 1);
  EXPECT_EQ(by_care->sections(0).text(), testing::kTestSectionText);
  EXPECT_EQ(by_care->sections(0).release().released_by(), "zorg-1");
  EXPECT_EQ(by_care->sections(0).release().receiver(), kCare);
  EXPECT_EQ(by_care->sections(0).release().legal_basis(),
            "AVG art. 9(2)(h); zorg voor het slachtoffer");

  // The chain director's release still names its own person and basis.
  absl::StatusOr<v1::ReleasedSignal> again =
      director->GetSignal(receipt.signal_id());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sections(0).release().released_by(), "regisseur-1");
  EXPECT_EQ(again->sections(0).release().legal_basis(),
            "AVG art. 9(2)(g); Wmo 2015 art. 5.2.6");

  // The source sees both disclosures, each by its receiver.
  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("ggd")->GetStatus(receipt.signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  std::vector<std::string> released_to;
  for (const v1::SignalDisclosure& disclosure : status->disclosures()) {
    if (disclosure.operation() == "release")
      released_to.push_back(disclosure.partner_id());
  }
  EXPECT_THAT(released_to, ::testing::ElementsAre(kDirector, kCare));
}

TEST_F(CareCoordinatorE2eTest, EachDecidesForItselfAndTheSourceSeesBoth) {
  const v1::Receipt receipt = Submit("politie", ExploitationSignal("mh-3"));
  const std::string id = receipt.signal_id();
  auto director = hub_.ChainDirector(kDirector);
  auto care = hub_.ChainDirector(kCare);

  // Each receiver's outcomes are its own.
  absl::StatusOr<v1::ReleasedSignal> wrong =
      care->Decide(Decision(id, v1::OUTCOME_CASE_MEETING, "bespreken"));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(wrong.status().message(), HasSubstr("outcome:"));
  wrong = director->Decide(Decision(id, v1::OUTCOME_VICTIM_REACHED, "gezien"));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  // A referral names where to.
  wrong = care->Decide(
      Decision(id, v1::OUTCOME_REFERRED_TO_SHELTER, "veilige opvang nodig"));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.status().message(), HasSubstr("referred_to"));

  ASSERT_TRUE(
      director->Decide(Decision(id, v1::OUTCOME_CASE_MEETING, "casusoverleg"))
          .ok());
  // The care coordinator's first decision needs no change reason, though
  // the chain director decided before.
  v1::DecideRequest shelter =
      Decision(id, v1::OUTCOME_REFERRED_TO_SHELTER, "veilige opvang nodig");
  shelter.set_referred_to("Blijf Groep");
  absl::StatusOr<v1::ReleasedSignal> cared = care->Decide(shelter);
  ASSERT_TRUE(cared.ok()) << cared.status();
  EXPECT_EQ(cared->decision().outcome(), v1::OUTCOME_REFERRED_TO_SHELTER);
  EXPECT_EQ(cared->decision().referred_to(), "Blijf Groep");
  EXPECT_EQ(cared->decision().receiver(), kCare);
  EXPECT_EQ(cared->earlier_decisions_size(), 0);  // not the director's
  EXPECT_EQ(cared->triage().state(), v1::TRIAGE_STATE_DECIDED);

  // Its second decision does.
  absl::StatusOr<v1::ReleasedSignal> changed = care->Decide(
      Decision(id, v1::OUTCOME_HELP_DECLINED, "wil geen opvang meer"));
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<v1::ReleasedSignal> directed = director->GetSignal(id);
  ASSERT_TRUE(directed.ok()) << directed.status();
  EXPECT_EQ(directed->decision().outcome(), v1::OUTCOME_CASE_MEETING);
  EXPECT_EQ(directed->decision().receiver(), kDirector);
  EXPECT_EQ(directed->earlier_decisions_size(), 0);

  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("politie")->GetStatus(id);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->decisions_size(), 2);
  EXPECT_EQ(status->decisions(0).receiver(), kDirector);
  EXPECT_EQ(status->decisions(0).outcome(), v1::OUTCOME_CASE_MEETING);
  EXPECT_EQ(status->decisions(1).receiver(), kCare);
  EXPECT_EQ(status->decisions(1).outcome(), v1::OUTCOME_REFERRED_TO_SHELTER);
  EXPECT_EQ(status->decisions(1).referred_to(), "Blijf Groep");
  EXPECT_EQ(status->decisions(1).decided_by_role(),
            "zorgcoordinator mensenhandel");

  // The trail names the care coordinator's person and role.
  v1::AuditQueryRequest query;
  query.set_operation("decide");
  query.set_signal_id(id);
  query.set_outcome(v1::AUDIT_OUTCOME_SUCCEEDED);
  std::vector<v1::AuditRecord> records = testing::QueryAudit(hub_, query);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].actor_partner_id(), kCare);
  EXPECT_EQ(records[1].actor_role(), "ROLE_CARE_COORDINATOR");
  EXPECT_EQ(records[1].acting_user_id(), "zorg-1");
}

// `client`'s worklist item for `signal_id` (all states but closed).
v1::WorkItem ItemOf(ChainDirectorClient& client, const std::string& id) {
  absl::StatusOr<v1::WorklistResponse> list =
      client.Worklist(v1::WorklistRequest());
  EXPECT_TRUE(list.ok()) << list.status();
  if (list.ok()) {
    for (const v1::WorkItem& item : list->items()) {
      if (item.signal_id() == id) return item;
    }
  }
  ADD_FAILURE() << "not in the worklist: " << id;
  return v1::WorkItem();
}

TEST_F(CareCoordinatorE2eTest, AHandOverMovesTheSignalBetweenWorklists) {
  const v1::Receipt receipt = Submit("politie", ExploitationSignal("mh-5"));
  const std::string id = receipt.signal_id();
  auto director = hub_.ChainDirector(kDirector);
  auto care = hub_.ChainDirector(kCare);
  ASSERT_TRUE(director->Assign(id, "regisseur-1").ok());

  absl::StatusOr<v1::WorkItem> given =
      director->HandOver(id, kCare, "slachtoffer wil hulp; zorg eerst");
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->triage().state(), v1::TRIAGE_STATE_HANDED_OVER);

  // Both see the hand-over: who, from whom, to whom, why.
  const v1::WorkItem at_director = ItemOf(*director, id);
  EXPECT_EQ(at_director.triage().state(), v1::TRIAGE_STATE_HANDED_OVER);
  EXPECT_EQ(at_director.triage().hand_over().to(), kCare);
  const v1::WorkItem at_care = ItemOf(*care, id);
  EXPECT_EQ(at_care.triage().state(), v1::TRIAGE_STATE_NEW);
  EXPECT_EQ(at_care.triage().hand_over().from(), kDirector);
  EXPECT_EQ(at_care.triage().hand_over().by(), "regisseur-1");
  EXPECT_EQ(at_care.triage().hand_over().reason(),
            "slachtoffer wil hulp; zorg eerst");

  // It is the care coordinator's now.
  absl::StatusOr<v1::ReleasedSignal> decided = director->Decide(
      Decision(id, v1::OUTCOME_CASE_MEETING, "toch zelf bespreken"));
  EXPECT_EQ(decided.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(decided.status().message(), HasSubstr("handed over"));
  EXPECT_EQ(director->HandOver(id, kCare, "nogmaals").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // And back.
  absl::StatusOr<v1::WorkItem> back =
      care->HandOver(id, kDirector, "geen zorgvraag; terug voor de keten");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ItemOf(*director, id).triage().state(), v1::TRIAGE_STATE_NEW);
  EXPECT_EQ(ItemOf(*director, id).triage().hand_over().from(), kCare);
  EXPECT_EQ(ItemOf(*care, id).triage().state(), v1::TRIAGE_STATE_HANDED_OVER);

  // Audited as the persons who did it, never with the reason.
  v1::AuditQueryRequest query;
  query.set_operation("hand_over");
  query.set_signal_id(id);
  std::vector<v1::AuditRecord> records = testing::QueryAudit(hub_, query);
  ASSERT_EQ(records.size(), 3u);  // two hand-overs, the refused second one
  EXPECT_EQ(records[0].acting_user_id(), "regisseur-1");
  EXPECT_EQ(records[0].details().at("to"), kCare);
  EXPECT_EQ(records[0].status_code(), "OK");
  EXPECT_EQ(records[1].status_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(records[2].acting_user_id(), "zorg-1");
  EXPECT_EQ(records[2].actor_partner_id(), kCare);
  EXPECT_FALSE(records[0].data_subject_pseudonym().empty());
  for (const v1::AuditRecord& record : records) {
    EXPECT_THAT(record.DebugString(), ::testing::Not(HasSubstr("zorg eerst")));
  }
}

TEST_F(CareCoordinatorE2eTest, AHandOverNeedsARouteAReceiverAndAReason) {
  const std::string abuse =
      Submit("politie", ValidSignal("hg-2", v1::CATEGORY_DOMESTIC_VIOLENCE))
          .signal_id();
  const std::string exploited =
      Submit("politie", ExploitationSignal("mh-6")).signal_id();
  auto director = hub_.ChainDirector(kDirector);

  absl::Status refused =
      director->HandOver(abuse, kCare, "zorg nodig").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("to: no route"));
  refused = director->HandOver(exploited, "politie", "opsporing").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("to:"));
  refused = director->HandOver(exploited, kDirector, "zelf").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  refused = director->HandOver(exploited, kCare, "  ").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("reason"));

  // Nothing changed.
  EXPECT_EQ(ItemOf(*director, abuse).triage().state(), v1::TRIAGE_STATE_NEW);
  EXPECT_EQ(ItemOf(*director, exploited).triage().state(),
            v1::TRIAGE_STATE_NEW);
  EXPECT_FALSE(
      ItemOf(*hub_.ChainDirector(kCare), exploited).triage().has_hand_over());
}

TEST_F(CareCoordinatorE2eTest, CareCallsNameTheirPerson) {
  const v1::Receipt receipt = Submit("politie", ExploitationSignal("mh-4"));
  ClientOptions options = hub_.Options(kCare);
  options.user_id.clear();
  options.user_role.clear();
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> anonymous =
      ChainDirectorClient::Connect(options);
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_EQ((*anonymous)->GetSignal(receipt.signal_id()).status().code(),
            absl::StatusCode::kUnauthenticated);
  // A submitter is no receiver.
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> police =
      ChainDirectorClient::Connect(hub_.Options("politie"));
  ASSERT_TRUE(police.ok());
  absl::Status denied = (*police)->GetSignal(receipt.signal_id()).status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(),
              HasSubstr("ROLE_CHAIN_DIRECTOR or ROLE_CARE_COORDINATOR"));
}

}  // namespace
}  // namespace ketenhub
