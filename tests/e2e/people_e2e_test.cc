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

std::vector<v1::AuditRecord> Query(TestHub& hub,
                                   v1::AuditQueryRequest request) {
  std::vector<v1::AuditRecord> records;
  absl::Status status = hub.Auditor()->Query(
      std::move(request), [&](const v1::AuditRecord& record) {
        records.push_back(record);
        return true;
      });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

// The chain director's client with `user` and `role` as its person (empty:
// none).
std::unique_ptr<ChainDirectorClient> DirectorAs(TestHub& hub,
                                                const std::string& user,
                                                const std::string& role) {
  ClientOptions options = hub.Options("ketenregisseur");
  options.user_id = user;
  options.user_role = role;
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
  auto anna = DirectorAs(hub, "anna-01", "procesregisseur");
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

}  // namespace
}  // namespace ketenhub
