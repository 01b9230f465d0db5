// End to end for people as actors: the chain director's, auditors' and
// operators' calls name the person acting (keten-user, keten-user-role),
// the trail records them, and an auditor reads one employee's records.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<v1::AuditRecord> Query(TestHub& hub,
                                   v1::AuditQueryRequest request) {
  return testing::QueryAudit(hub, std::move(request));
}

// The chain director's client with `user`, `role` and `name` as its person
// (empty: none).
std::unique_ptr<ChainDirectorClient> DirectorAs(TestHub& hub,
                                                const std::string& user,
                                                const std::string& role,
                                                const std::string& name = "") {
  ClientOptions options = hub.Options("ketenregisseur");
  options.user_id = user;
  options.user_role = role;
  options.user_name = name;
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> client =
      ChainDirectorClient::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(PeopleE2eTest, ReadingASignalWithoutAPersonIsRefusedAndAudited) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> receipt =
      hub.Client("politie")->Submit(ValidSignal("people-1"));  // no person
  ASSERT_TRUE(receipt.ok()) << receipt.status();

  absl::StatusOr<v1::ReleasedSignal> anonymous =
      DirectorAs(hub, "", "")->GetSignal(receipt->signal_id());
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(anonymous.status().message(), HasSubstr("keten-user"));

  absl::StatusOr<v1::ReleasedSignal> named =
      DirectorAs(hub, "regisseur-7", "procesregisseur")
          ->GetSignal(receipt->signal_id());
  ASSERT_TRUE(named.ok()) << named.status();

  v1::AuditQueryRequest reads;
  reads.set_operation("get_signal");
  reads.set_signal_id(receipt->signal_id());
  const std::vector<v1::AuditRecord> records = Query(hub, reads);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status_code(), "UNAUTHENTICATED");
  EXPECT_THAT(records[0].status_rule(), HasSubstr("keten-user"));
  EXPECT_EQ(records[0].acting_user_id(), "");
  EXPECT_EQ(records[1].status_code(), "OK");
  EXPECT_EQ(records[1].acting_user_id(), "regisseur-7");
  EXPECT_EQ(records[1].acting_user_role(), "procesregisseur");
  EXPECT_EQ(records[1].actor_partner_id(), "ketenregisseur");

  // The submit named no one, and needed no one.
  v1::AuditQueryRequest submits;
  submits.set_operation("submit");
  const std::vector<v1::AuditRecord> submitted = Query(hub, submits);
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].status_code(), "OK");
  EXPECT_EQ(submitted[0].acting_user_id(), "");
}

TEST(PeopleE2eTest, AMalformedPersonIsRefusedNamingTheHeader) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> receipt =
      hub.Client("politie")->Submit(ValidSignal("people-2"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  struct Case {
    std::string user, role, header;
  };
  for (const Case& c : std::vector<Case>{
           {"999990019", "procesregisseur", "keten-user: is a BSN"},
           {std::string(65, 'a'), "procesregisseur", "keten-user: over 64"},
           {"mw 12", "procesregisseur", "keten-user: only [A-Za-z0-9._@:-]"},
           {"mw-12", std::string(65, 'r'), "keten-user-role: over 64"},
       }) {
    absl::StatusOr<v1::ReleasedSignal> refused =
        DirectorAs(hub, c.user, c.role)->GetSignal(receipt->signal_id());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument)
        << c.header;
    EXPECT_THAT(refused.status().message(), HasSubstr(c.header));
  }
  // A raw call with a user but no role.
  grpc::ClientContext context;
  context.AddMetadata("keten-user", "mw-12");
  v1::GetSignalRequest request;
  request.set_signal_id(receipt->signal_id());
  v1::ReleasedSignal response;
  ClientOptions bare = hub.Options("ketenregisseur");
  bare.user_id.clear();
  bare.user_role.clear();
  grpc::Status status = v1::ChainDirectorService::NewStub(*MakeHubChannel(bare))
                            ->GetSignal(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("keten-user-role: required with keten-user"));
}

// NEN 7513's chronological overview per employee: exactly that person's
// records, in time order, and nobody else's.
TEST(PeopleE2eTest, AnAuditQueryByUserReturnsExactlyThatPersonsRecords) {
  TestHub hub;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::Receipt> receipt = hub.Client("politie")->Submit(
        ValidSignal(absl::StrCat("people-3-", i)));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.push_back(receipt->signal_id());
  }
  auto anna = DirectorAs(hub, "anna-01", "procesregisseur", "A. de Vries");
  auto bram = DirectorAs(hub, "bram-02", "casusregisseur");
  ASSERT_TRUE(anna->GetSignal(ids[0]).ok());
  ASSERT_TRUE(bram->GetSignal(ids[1]).ok());
  ASSERT_TRUE(anna->GetSignal(ids[2]).ok());
  ASSERT_TRUE(anna->Decide(ids[2], v1::OUTCOME_CASE_MEETING, "bespreken").ok());

  v1::AuditQueryRequest by_anna;
  by_anna.set_user("anna-01");
  const std::vector<v1::AuditRecord> records = Query(hub, by_anna);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].operation(), "get_signal");
  EXPECT_EQ(records[0].signal_ids(0), ids[0]);
  EXPECT_EQ(records[1].signal_ids(0), ids[2]);
  EXPECT_EQ(records[2].operation(), "decide");
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].acting_user_id(), "anna-01");
    EXPECT_EQ(records[i].acting_user_name(), "A. de Vries");
    if (i > 0) {
      EXPECT_GT(records[i].index(), records[i - 1].index());
    }
  }
  // The auditor's own query is recorded as the auditor's person.
  v1::AuditQueryRequest queries;
  queries.set_operation("audit_query");
  const std::vector<v1::AuditRecord> asked = Query(hub, queries);
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.front().acting_user_id(), "privacy-1");
  EXPECT_EQ(asked.front().details().at("queried_user"), "anna-01");
}

// Decisions append: the first stands as it is, a change needs a reason, and
// the source partner sees the whole history (with the deciding person's
// function, never their id or name); no other partner sees it.
TEST(PeopleE2eTest, TwoDecisionsGiveAHistoryOfTwoForTheSourceAndTheTrail) {
  TestHub hub;
  auto politie = hub.Client("politie");
  absl::StatusOr<v1::Receipt> receipt =
      politie->Submit(ValidSignal("people-4"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  auto anna = DirectorAs(hub, "anna-01", "procesregisseur");
  ASSERT_TRUE(
      anna->Decide(receipt->signal_id(), v1::OUTCOME_ADVICE_GIVEN, "advies")
          .ok());
  absl::StatusOr<v1::ReleasedSignal> unexplained = anna->Decide(
      receipt->signal_id(), v1::OUTCOME_CASE_MEETING, "toch bespreken");
  EXPECT_EQ(unexplained.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unexplained.status().message(), HasSubstr("change_reason"));
  v1::DecideRequest change;
  change.set_signal_id(receipt->signal_id());
  change.set_outcome(v1::OUTCOME_CASE_MEETING);
  change.set_reason("bespreken in het casusoverleg");
  change.set_change_reason("nieuw signaal van de GGD");
  ASSERT_TRUE(anna->Decide(change).ok());

  absl::StatusOr<v1::SignalStatus> status =
      politie->GetStatus(receipt->signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->decisions_size(), 2);
  EXPECT_EQ(status->decisions(0).outcome(), v1::OUTCOME_ADVICE_GIVEN);
  EXPECT_EQ(status->decisions(1).outcome(), v1::OUTCOME_CASE_MEETING);
  EXPECT_EQ(status->decisions(1).change_reason(), "nieuw signaal van de GGD");
  EXPECT_EQ(status->decisions(1).decided_by_role(), "procesregisseur");
  EXPECT_EQ(status->decisions(1).on_behalf_of(), "politie");
  EXPECT_EQ(status->decision().outcome(), v1::OUTCOME_CASE_MEETING);
  EXPECT_THAT(status->DebugString(), Not(HasSubstr("anna-01")));
  EXPECT_EQ(hub.Client("ggd")->GetStatus(receipt->signal_id()).status().code(),
            absl::StatusCode::kNotFound);
  // The chain director's own view carries the history too.
  absl::StatusOr<v1::ReleasedSignal> opened =
      anna->GetSignal(receipt->signal_id());
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_EQ(opened->earlier_decisions_size(), 1);
  EXPECT_EQ(opened->earlier_decisions(0).outcome(), v1::OUTCOME_ADVICE_GIVEN);
  EXPECT_EQ(opened->decision().change_reason(), "nieuw signaal van de GGD");

  v1::AuditQueryRequest decisions;
  decisions.set_operation("decide");
  decisions.set_signal_id(receipt->signal_id());
  const std::vector<v1::AuditRecord> records = Query(hub, decisions);
  ASSERT_EQ(records.size(), 3u);  // two decisions and the refused change
  EXPECT_EQ(records[0].status_code(), "OK");
  EXPECT_EQ(records[1].status_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(records[2].status_code(), "OK");
  EXPECT_EQ(records[2].acting_user_id(), "anna-01");
  EXPECT_EQ(records[2].on_behalf_of(), "politie");
}

// A release is made on behalf of the source unless the chain director names
// another registered partner (the aanbrenger, the partner with casusregie).
TEST(PeopleE2eTest, AReleaseRecordsOnWhoseBehalfAndTheSourceSeesIt) {
  TestHub hub;
  v1::Signal signal = ValidSignal("people-5");
  signal.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
  absl::StatusOr<v1::Receipt> receipt = hub.Client("ggd")->Submit(signal);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  auto director = hub.ChainDirector();
  v1::ReleaseRequest release;
  release.set_signal_id(receipt->signal_id());
  release.set_kind(v1::DATA_KIND_HEALTH);
  release.set_legal_basis("WGS art. 3, casusoverleg");
  release.set_on_behalf_of("niemand");
  absl::StatusOr<v1::ReleasedSignal> unknown = director->Release(release);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("on_behalf_of"));
  release.set_on_behalf_of("politie");
  ASSERT_TRUE(director->Release(release).ok());

  v1::AuditQueryRequest releases;
  releases.set_operation("release");
  releases.set_signal_id(receipt->signal_id());
  const std::vector<v1::AuditRecord> records = Query(hub, releases);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status_code(), "INVALID_ARGUMENT");
  EXPECT_EQ(records[1].on_behalf_of(), "politie");
  EXPECT_EQ(records[1].acting_user_id(), "regisseur-1");

  // The chain director's organisation sees who released the section, when
  // and on what basis.
  absl::StatusOr<v1::ReleasedSignal> opened =
      director->GetSignal(receipt->signal_id());
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_EQ(opened->sections(0).disclosure(), v1::DISCLOSURE_RELEASED);
  const v1::SectionRelease& how = opened->sections(0).release();
  EXPECT_EQ(how.released_by(), "regisseur-1");
  EXPECT_EQ(how.legal_basis(), "WGS art. 3, casusoverleg");
  EXPECT_EQ(how.on_behalf_of(), "politie");
  EXPECT_GT(how.released_at().seconds(), 0);

  // The source sees each disclosure of its own signal: the opening and the
  // release (the refused attempt disclosed nothing), not who the person was.
  absl::StatusOr<v1::SignalStatus> status =
      hub.Client("ggd")->GetStatus(receipt->signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->disclosures_size(), 2);
  EXPECT_EQ(status->disclosures(0).operation(), "release");
  EXPECT_EQ(status->disclosures(0).partner_id(), "ketenregisseur");
  EXPECT_EQ(status->disclosures(0).role(), "ROLE_CHAIN_DIRECTOR");
  EXPECT_EQ(status->disclosures(0).kind(), v1::DATA_KIND_HEALTH);
  EXPECT_EQ(status->disclosures(0).legal_basis(), "WGS art. 3, casusoverleg");
  EXPECT_EQ(status->disclosures(0).on_behalf_of(), "politie");
  EXPECT_EQ(status->disclosures(1).operation(), "get_signal");
  EXPECT_THAT(status->DebugString(), Not(HasSubstr("regisseur-1")));
}

}  // namespace
}  // namespace ketenhub
