// End to end for the audit trail: what auditors see about one person, that
// refusals and every operation are recorded, that records hold no BSN, name
// or content, and that the log proves itself online, over real mutual TLS.
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/signal_outbox.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/report.grpc.pb.h"
#include "rocksdb/db.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/policy/operations.h"
#include "server/storage/audit_verify.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/store_maintenance.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBsn[] = "999990019";

std::vector<v1::AuditRecord> Query(TestHub& hub, v1::AuditQueryRequest request,
                                   const std::string& as = "auditor") {
  std::vector<v1::AuditRecord> records;
  absl::Status status = hub.Auditor(as)->Query(
      std::move(request), [&](const v1::AuditRecord& record) {
        records.push_back(record);
        return true;
      });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

std::vector<v1::AuditRecord> QueryBsn(TestHub& hub, const std::string& bsn) {
  v1::AuditQueryRequest request;
  request.mutable_subject()->set_bsn(bsn);
  return Query(hub, request);
}

std::vector<v1::AuditRecord> All(TestHub& hub) {
  return Query(hub, v1::AuditQueryRequest());
}

// Watches until `n` events arrived (each acked).
void Watch(TestHub& hub, size_t n) {
  auto client = hub.ChainDirector();
  size_t seen = 0;
  absl::Notification done;
  std::thread watcher([&] {
    EXPECT_TRUE(client
                    ->Watch([&](const v1::Event&) {
                      if (++seen >= n) client->Cancel();
                      return true;
                    })
                    .ok());
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(20))) client->Cancel();
  watcher.join();
  EXPECT_EQ(seen, n);
}

bool IsHex(const std::string& s, size_t length) {
  return s.size() == length &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(AuditE2eTest, AuditorSeesEveryAccessToThePerson) {
  TestHub hub;
  auto politie = hub.Client("politie");
  auto ggd = hub.Client("ggd");
  absl::StatusOr<v1::Receipt> first = politie->Submit(
      ValidSignal("p-1", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn));
  absl::StatusOr<v1::Receipt> second =
      ggd->Submit(ValidSignal("g-1", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn));
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(politie
                  ->Submit(ValidSignal("p-2", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                       testing::TestBsns()[3]))
                  .ok());  // someone else
  Watch(hub, 4);           // received x3, match
  ASSERT_TRUE(hub.ChainDirector()->GetSignal(first->signal_id()).ok());

  const std::vector<v1::AuditRecord> records = QueryBsn(hub, kBsn);
  std::vector<std::string> seen;
  for (const v1::AuditRecord& r : records)
    seen.push_back(absl::StrCat(r.actor_partner_id(), " ", r.operation()));
  EXPECT_THAT(
      seen, ElementsAre("politie submit", "ggd submit",
                        "ketenregisseur deliver", "ketenregisseur deliver",
                        "ketenregisseur deliver", "ketenregisseur get_signal"));
  const std::string pseudonym = records[0].data_subject_pseudonym();
  EXPECT_TRUE(IsHex(pseudonym, 64));
  for (const v1::AuditRecord& r : records) {
    EXPECT_EQ(r.data_subject_pseudonym(), pseudonym);
    EXPECT_EQ(r.status_code(), "OK");
    EXPECT_TRUE(IsHex(r.trace_id(), 32)) << r.trace_id();
    EXPECT_TRUE(IsHex(r.span_id(), 16));
    EXPECT_TRUE(IsHex(r.peer_certificate_sha256(), 64));
    EXPECT_EQ(r.actor_oin().size(), 20u);
    EXPECT_EQ(r.policy_version().size(), 64u);
    EXPECT_FALSE(r.processing_activity_id().empty());
    EXPECT_FALSE(r.legal_basis().empty());
    EXPECT_TRUE(r.has_start_time() && r.has_end_time());
    EXPECT_LE(r.start_time().seconds(), r.end_time().seconds());
  }
  EXPECT_EQ(records[4].signal_ids_size(), 2);  // the match names both signals

  // The auditor's own query is in the trail, with the same pseudonym.
  v1::AuditQueryRequest own;
  own.set_operation("audit_query");
  const std::vector<v1::AuditRecord> queries = Query(hub, own);
  ASSERT_FALSE(queries.empty());
  EXPECT_EQ(queries[0].actor_partner_id(), "auditor");
  EXPECT_EQ(queries[0].actor_role(), "ROLE_AUDITOR");
  EXPECT_EQ(queries[0].data_subject_pseudonym(), pseudonym);
}

TEST(AuditE2eTest, RecordsHoldNoBsnNameOrContent) {
  TestHub hub;
  v1::Signal named = ValidSignal("named");
  named.mutable_subject()->mutable_person()->set_name(testing::kTestPersonName);
  named.mutable_subject()->mutable_person()->set_date_of_birth("2009-04-01");
  absl::StatusOr<v1::Receipt> receipt = hub.Client("politie")->Submit(named);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(
      hub.Client("ggd")
          ->Submit(ValidSignal("g", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn))
          .ok());
  v1::Signal refused = ValidSignal("bad", v1::CATEGORY_DOMESTIC_VIOLENCE, kBsn);
  EXPECT_FALSE(hub.Client("ggd")->Submit(refused).ok());  // not its category
  Watch(hub, 2);
  ASSERT_TRUE(hub.ChainDirector()->GetSignal(receipt->signal_id()).ok());
  v1::AuditQueryRequest by_bsn;
  by_bsn.mutable_subject()->set_bsn(kBsn);
  Query(hub, by_bsn);

  const std::vector<v1::AuditRecord> records = All(hub);
  ASSERT_GE(records.size(), 7u);
  for (const v1::AuditRecord& r : records) {
    const std::string bytes = r.SerializeAsString() + r.DebugString();
    for (const char* secret :
         {kBsn, testing::kTestPersonName, "Testpersoon",
          testing::kTestNarrative, testing::kTestSectionText,
          testing::kTestContactName, "2009-04-01"}) {
      EXPECT_FALSE(absl::StrContains(bytes, secret))
          << r.operation() << " record holds \"" << secret << "\"";
    }
  }
}

TEST(AuditE2eTest, RefusalsAreRecordedWithTheCertificate) {
  TestHub hub;
  EXPECT_EQ(hub.Client("stranger")->Submit(ValidSignal("s")).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(hub.Client("no-oin")->Submit(ValidSignal("n")).status().code(),
            absl::StatusCode::kUnauthenticated);
  v1::Signal invalid = ValidSignal("i");
  invalid.set_summary("");
  EXPECT_EQ(hub.Client("politie")->Submit(invalid).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub.ChainDirector("auditor")->GetSignal("x").status().code(),
            absl::StatusCode::kPermissionDenied);
  std::vector<v1::AuditRecord> unused;
  absl::Status denied = hub.Auditor("politie")->Query(
      v1::AuditQueryRequest(), [&](const v1::AuditRecord& r) {
        unused.push_back(r);
        return true;
      });
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(unused.empty());

  v1::AuditQueryRequest refused;
  refused.set_outcome(v1::AUDIT_OUTCOME_REFUSED);
  const std::vector<v1::AuditRecord> records = Query(hub, refused);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].status_code(), "UNAUTHENTICATED");
  EXPECT_EQ(records[0].actor_oin(), "00000099000000000099");
  EXPECT_EQ(records[0].actor_partner_id(), "");
  EXPECT_TRUE(IsHex(records[0].peer_certificate_sha256(), 64));
  EXPECT_EQ(records[1].status_code(), "UNAUTHENTICATED");
  EXPECT_EQ(records[1].actor_oin(), "");
  EXPECT_TRUE(IsHex(records[1].peer_certificate_sha256(), 64));
  EXPECT_NE(records[0].peer_certificate_sha256(),
            records[1].peer_certificate_sha256());
  EXPECT_EQ(records[2].status_code(), "INVALID_ARGUMENT");
  EXPECT_THAT(records[2].status_rule(), HasSubstr("summary"));
  EXPECT_EQ(records[2].actor_partner_id(), "politie");
  EXPECT_EQ(records[3].operation(), "get_signal");
  EXPECT_EQ(records[3].status_code(), "PERMISSION_DENIED");
  EXPECT_EQ(records[3].actor_partner_id(), "auditor");
  EXPECT_EQ(records[4].operation(), "audit_query");
  EXPECT_EQ(records[4].actor_partner_id(), "politie");
}

TEST(AuditE2eTest, TraceparentIsRecordedAndAnswered) {
  TestHub hub;
  auto stub = hub.Stub("politie");
  grpc::ClientContext context;
  context.AddMetadata(
      "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  v1::SubmitRequest request;
  *request.mutable_signal() = ValidSignal("traced");
  v1::Receipt receipt;
  ASSERT_TRUE(stub->Submit(&context, request, &receipt).ok());
  auto trailer = context.GetServerTrailingMetadata().find("traceparent");
  ASSERT_NE(trailer, context.GetServerTrailingMetadata().end());
  EXPECT_THAT(std::string(trailer->second.data(), trailer->second.size()),
              HasSubstr("00-4bf92f3577b34da6a3ce929d0e0e4736-"));

  v1::AuditQueryRequest by_trace;
  by_trace.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  const std::vector<v1::AuditRecord> records = Query(hub, by_trace);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].parent_span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(records[0].signal_ids(0), receipt.signal_id());
}

TEST(AuditE2eTest, EveryOperationIsRecorded) {
  // Four-eyes requests live 4 s here, so that one can lapse.
  testing::TempDir dir;
  TestHub hub(testing::ExamplePolicyWith(
      dir, {{"valid_for: \"72h\"", "valid_for: \"4s\""}}));
  auto ggd = hub.Client("ggd");
  v1::Signal signal = ValidSignal("all");
  v1::Section* health = signal.add_sections();
  health->set_kind(v1::DATA_KIND_HEALTH);
  health->set_title("gezondheid");
  health->set_text("afgeschermd");
  absl::StatusOr<v1::Receipt> receipt = ggd->Submit(signal);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(ggd->GetStatus(receipt->signal_id()).ok());
  Watch(hub, 1);  // subscribe, deliver, ack
  auto director = hub.ChainDirector();
  ASSERT_TRUE(director->GetSignal(receipt->signal_id()).ok());
  ASSERT_TRUE(director
                  ->Release(receipt->signal_id(), v1::DATA_KIND_HEALTH,
                            "Wmo 2015 art. 5.2.6")
                  .ok());
  ASSERT_TRUE(
      director
          ->Decide(receipt->signal_id(), v1::OUTCOME_CASE_MEETING, "bespreken")
          .ok());
  ASSERT_TRUE(director->Worklist(v1::WorklistRequest()).ok());
  ASSERT_TRUE(director->Assign(receipt->signal_id(), "regisseur-2").ok());
  ASSERT_TRUE(director->Close(receipt->signal_id(), "afgeschaald").ok());
  ASSERT_TRUE(director->Reopen(receipt->signal_id(), "nieuw signaal").ok());
  ASSERT_TRUE(
      director->HandOver(receipt->signal_id(), "zorgcoordinator", "zorg").ok());
  {  // a possible match, dismissed
    std::vector<std::string> ids;
    for (const char* partner : {"politie", "ggd"}) {
      v1::Signal weak = ValidSignal(absl::StrCat("phone-", partner));
      weak.mutable_subject()->Clear();
      weak.mutable_subject()->add_identifiers()->set_phone("0612345678");
      absl::StatusOr<v1::Receipt> made = hub.Client(partner)->Submit(weak);
      ASSERT_TRUE(made.ok()) << made.status();
      ids.push_back(made->signal_id());
    }
    v1::JudgeMatchRequest judge;
    judge.set_signal_id(ids[0]);
    judge.set_other_signal_id(ids[1]);
    judge.set_reason("twee verschillende vrouwen");
    ASSERT_TRUE(director->JudgeMatch(judge).ok());
  }
  ASSERT_TRUE(ggd->Withdraw(receipt->signal_id(), "dubbel").ok());
  {
    grpc::ClientContext context;
    v1::ReloadPolicyResponse response;
    ASSERT_TRUE(
        hub.Admin()
            ->ReloadPolicy(&context, v1::ReloadPolicyRequest(), &response)
            .ok());
  }
  {  // figures for the council, as the operator
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeHubChannel(hub.Options("operator"));
    ASSERT_TRUE(channel.ok()) << channel.status();
    grpc::ClientContext context;
    v1::FiguresRequest request;
    request.set_from_date("2026-01-01");
    request.set_to_date("2026-12-31");
    v1::FiguresResponse response;
    ASSERT_TRUE(v1::ReportService::NewStub(*channel)
                    ->Figures(&context, request, &response)
                    .ok());
  }
  {
    grpc::ClientContext context;
    v1::ListUnroutedResponse response;
    ASSERT_TRUE(
        hub.Admin()
            ->ListUnrouted(&context, v1::ListUnroutedRequest(), &response)
            .ok());
  }
  {
    grpc::ClientContext context;
    v1::RunRetentionRequest dry;
    dry.set_dry_run(true);
    v1::RunRetentionResponse response;
    ASSERT_TRUE(hub.Admin()->RunRetention(&context, dry, &response).ok());
  }
  {
    v1::Subject subject;
    subject.set_bsn(kBsn);
    ASSERT_TRUE(hub.ExportSubject(subject).ok());
  }
  {
    v1::Subject subject;
    subject.set_bsn(kBsn);
    ASSERT_TRUE(hub.EraseSubject(subject, "verzoek 1").ok());
    // A refused request, a listing, and one left to lapse.
    v1::AskSubjectRequest ask;
    ask.set_kind(v1::SUBJECT_REQUEST_EXPORT);
    *ask.mutable_subject() = subject;
    ask.set_reason("verzoek 2");
    for (int i = 0; i < 2; ++i) {
      grpc::ClientContext context;
      v1::SubjectRequest asked;
      ASSERT_TRUE(hub.SubjectRequests()->Ask(&context, ask, &asked).ok());
      if (i == 1) break;
      grpc::ClientContext refuse_context;
      v1::RefuseSubjectRequest refuse;
      refuse.set_request_id(asked.request_id());
      refuse.set_reason("geen grondslag");
      ASSERT_TRUE(hub.SubjectRequests("auditor")
                      ->Refuse(&refuse_context, refuse, &asked)
                      .ok());
    }
    grpc::ClientContext context;
    v1::ListSubjectRequestsResponse listed;
    const grpc::Status listing = hub.SubjectRequests("auditor")->List(
        &context, v1::ListSubjectRequestsRequest(), &listed);
    ASSERT_TRUE(listing.ok()) << listing.error_message();
  }
  {
    grpc::ClientContext context;
    v1::BackupRequest request;
    request.set_name("every-operation");
    v1::BackupResponse response;
    ASSERT_TRUE(hub.Admin()->Backup(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::RotateKekResponse response;
    ASSERT_TRUE(hub.Admin()
                    ->RotateKek(&context, v1::RotateKekRequest(), &response)
                    .ok());
  }
  auto auditor = hub.Auditor();
  absl::StatusOr<v1::SignedCheckpoint> checkpoint =
      auditor->VerifyLog(hub.AuditPublicKey(), std::nullopt);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  ASSERT_TRUE(auditor->VerifyRecord(0, *checkpoint).ok());
  ASSERT_TRUE(auditor->VerifyLog(hub.AuditPublicKey(), *checkpoint).ok());
  // The lapsed request is recorded within seconds of its end.
  for (int i = 0; i < 100; ++i) {
    v1::AuditQueryRequest expired;
    expired.set_operation("subject_request_expired");
    if (!Query(hub, expired).empty()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  All(hub);  // an audit query, which the next one sees
  std::set<std::string> operations;
  for (const v1::AuditRecord& r : All(hub)) operations.insert(r.operation());
  for (absl::string_view operation : kOperations) {
    if (operation == "retention_purge")
      continue;  // needs time to pass:
                 // storage/protection_test
    if (operation == "restore" || operation == "rekey_pseudonyms" ||
        operation == "keys_moved_to_token" ||
        operation == "signing_key_replaced" || operation == "kek_replaced")
      continue;  // offline or at a start: e2e/hub_process_test
    if (operation == "audit_cosign" || operation == "rollback_accepted")
      continue;  // a witness in the policy: e2e/witness_e2e_test
    EXPECT_TRUE(operations.contains(std::string(operation))) << operation;
  }

  v1::AuditQueryRequest release;
  release.set_operation("release");
  const std::vector<v1::AuditRecord> releases = Query(hub, release);
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0].legal_basis(), "Wmo 2015 art. 5.2.6");
  EXPECT_EQ(releases[0].details().at("kind"), "DATA_KIND_HEALTH");
}

// Every start leaves a record of what the hub found and starts with: the
// trail's size and root, the signing key, the KEKs, the policy's text. A
// trail that shrank while the hub was stopped shows between two starts.
TEST(AuditE2eTest, EveryStartIsRecordedWithTheTrailItsKeysAndItsPolicy) {
  TestHub hub;
  ASSERT_TRUE(hub.Client("politie")->Submit(ValidSignal("start-1")).ok());
  hub.Restart();
  v1::AuditQueryRequest starts;
  starts.set_operation("hub_start");
  std::vector<v1::AuditRecord> records = Query(hub, starts);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].index(), 0u);
  EXPECT_EQ(records[0].details().at("previous_tree_size"), "0");
  EXPECT_EQ(records[0].actor_partner_id(), "ketenhub");
  // The first run wrote its start and the submit: the second start saw 2.
  EXPECT_EQ(records[1].details().at("previous_tree_size"), "2");
  EXPECT_EQ(records[1].details().at("previous_root").size(), 64u);
  EXPECT_EQ(records[1].details().at("audit_key_id"),
            records[0].details().at("audit_key_id"));
  EXPECT_FALSE(records[1].details().at("kek_ids").empty());
  EXPECT_EQ(records[1].details().at("policy_text"),
            *ReadFileToString(KETENHUB_SOURCE_DIR
                              "/deploy/policy-example.textproto"));
  EXPECT_EQ(records[1].policy_version(), records[0].policy_version());
}

// A policy weakened, used and put back leaves both texts in the trail: the
// reload that brought each version in keeps its text.
TEST(AuditE2eTest, APolicyFlipLeavesBothPolicyTextsInTheTrail) {
  testing::TempDir dir;
  const std::string policy_file = dir.path() + "/policy.textproto";
  const std::string original =
      *ReadFileToString(KETENHUB_SOURCE_DIR "/deploy/policy-example.textproto");
  std::string weakened = original;
  absl::StrReplaceAll(
      {{"operations: [\"submit\", \"get_status\", \"withdraw\"]",
        "operations: [\"submit\", \"get_status\", \"withdraw\"]\n"
        "# for one afternoon"}},
      &weakened);
  ASSERT_NE(weakened, original);
  ASSERT_TRUE(WritePrivateFile(policy_file, original).ok());
  TestHub hub(policy_file);
  auto reload = [&](const std::string& text) {
    ASSERT_TRUE(WritePrivateFile(policy_file, text).ok());
    grpc::ClientContext context;
    v1::ReloadPolicyResponse response;
    ASSERT_TRUE(
        hub.Admin()
            ->ReloadPolicy(&context, v1::ReloadPolicyRequest(), &response)
            .ok());
  };
  reload(weakened);
  reload(original);
  reload(original);  // no new version: no text again
  v1::AuditQueryRequest reloads;
  reloads.set_operation("reload_policy");
  std::vector<v1::AuditRecord> records = Query(hub, reloads);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].details().at("new_policy_text"), weakened);
  EXPECT_EQ(records[1].details().at("new_policy_text"), original);
  EXPECT_FALSE(records[2].details().contains("new_policy_text"));
  EXPECT_NE(records[0].details().at("new_policy_version"),
            records[1].details().at("new_policy_version"));
}

TEST(AuditE2eTest, QueryPagesResumeWithTheToken) {
  TestHub hub;
  auto politie = hub.Client("politie");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(politie->Submit(ValidSignal(absl::StrCat("r", i))).ok());
  v1::AuditQueryRequest request;
  request.set_actor("politie");
  request.set_page_size(2);
  std::vector<uint64_t> indexes;
  std::string token;
  for (int page = 0; page < 3; ++page) {
    grpc::ClientContext context;
    request.set_page_token(token);
    auto reader = hub.AuditStub()->Query(&context, request);
    v1::AuditQueryResponse response;
    token.clear();
    while (reader->Read(&response)) {
      if (response.has_record()) indexes.push_back(response.record().index());
      if (!response.next_page_token().empty())
        token = response.next_page_token();
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  // Record 0 is the hub's own start.
  EXPECT_THAT(indexes, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_TRUE(token.empty());
}

TEST(AuditE2eTest, ATruncatedLogFailsAgainstAKeptCheckpoint) {
  TestHub hub;
  auto politie = hub.Client("politie");
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE(politie->Submit(ValidSignal(absl::StrCat("t", i))).ok());
  absl::StatusOr<v1::SignedCheckpoint> kept =
      hub.Auditor()->VerifyLog(hub.AuditPublicKey(), std::nullopt);
  ASSERT_TRUE(kept.ok()) << kept.status();
  hub.Shutdown();
  {  // someone with disk access removes the newest records
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(hub.data_dir() + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<uint64_t> size = (*db)->AuditSize();
    ASSERT_TRUE(size.ok());
    rocksdb::WriteBatch batch;
    for (uint64_t i = 6; i < *size; ++i)
      batch.Delete((*db)->audit(), storage_keys::EncodeSequence(i));
    ASSERT_TRUE((*db)->db()->Write(Database::SyncWrite(), &batch).ok());
  }
  hub.Restart();
  absl::StatusOr<v1::SignedCheckpoint> shorter =
      hub.Auditor()->VerifyLog(hub.AuditPublicKey(), *kept);
  EXPECT_EQ(shorter.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(shorter.status().message(), HasSubstr("fewer"));
  for (int i = 0; i < 20; ++i)  // the log grows past the kept size again
    ASSERT_TRUE(politie->Submit(ValidSignal(absl::StrCat("u", i))).ok());
  absl::StatusOr<v1::SignedCheckpoint> rewritten =
      hub.Auditor()->VerifyLog(hub.AuditPublicKey(), *kept);
  EXPECT_EQ(rewritten.status().code(), absl::StatusCode::kDataLoss)
      << rewritten.status();
}

// An insider with the hub stopped deletes the index entries that let a query
// by BSN find a record: the query no longer shows it, but offline
// verification reports the record missing from the index. An entry added
// under another person is reported as well.
TEST(AuditE2eTest, OfflineVerifyReportsHiddenAndPlantedIndexEntries) {
  TestHub hub;
  ASSERT_TRUE(hub.Client("politie")
                  ->Submit(ValidSignal("hidden",
                                       v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn))
                  .ok());
  const std::vector<v1::AuditRecord> before = QueryBsn(hub, kBsn);
  ASSERT_FALSE(before.empty());
  const uint64_t hidden = before.front().index();
  const std::string subject_key = storage_keys::AuditIndexKeys(before.front())
                                      .front();  // the person's entry
  const std::string public_key = hub.AuditPublicKey();
  const std::string db_path = hub.data_dir() + "/db";
  hub.Shutdown();
  auto rewrite_index =
      [&](const std::function<void(Database&, rocksdb::WriteBatch&)>& change) {
        absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(db_path);
        ASSERT_TRUE(db.ok()) << db.status();
        rocksdb::WriteBatch batch;
        change(**db, batch);
        ASSERT_TRUE((*db)->db()->Write(Database::SyncWrite(), &batch).ok());
      };
  rewrite_index([&](Database& db, rocksdb::WriteBatch& batch) {
    batch.Delete(db.audit_index(), subject_key);
  });
  absl::StatusOr<AuditVerification> verified =
      VerifyAuditLog(db_path, public_key, {}, nullptr);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_THAT(verified->problem,
              HasSubstr(absl::StrCat("record ", hidden,
                                     " is missing from the audit index by "
                                     "person")));
  EXPECT_EQ(verified->first_bad_record, hidden);

  rewrite_index([&](Database& db, rocksdb::WriteBatch& batch) {
    batch.Put(db.audit_index(), subject_key, "");  // put back
    batch.Put(db.audit_index(),
              absl::StrCat(storage_keys::AuditSubjectPrefix("someone-else"),
                           storage_keys::EncodeSequence(hidden)),
              "");
  });
  verified = VerifyAuditLog(db_path, public_key, {}, nullptr);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_THAT(verified->problem,
              HasSubstr(absl::StrCat("an audit index entry names record ",
                                     hidden, ", which is not about")));
}

// Online, a query by person no longer trusts the index blindly: an entry
// planted under the person is DATA_LOSS at once, and with cross_check a
// record the index hides is found by reading the records themselves.
TEST(AuditE2eTest, AQueryByPersonCrossChecksTheIndex) {
  TestHub hub;
  ASSERT_TRUE(hub.Client("politie")
                  ->Submit(ValidSignal("indexed",
                                       v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn))
                  .ok());
  const std::vector<v1::AuditRecord> before = QueryBsn(hub, kBsn);
  ASSERT_FALSE(before.empty());
  const uint64_t hidden = before.front().index();
  const std::string subject_key =
      storage_keys::AuditIndexKeys(before.front()).front();
  const std::string subject_prefix =
      subject_key.substr(0, subject_key.size() - 8);
  const std::string db_path = hub.data_dir() + "/db";
  auto rewrite_index =
      [&](const std::function<void(Database&, rocksdb::WriteBatch&)>& change) {
        hub.Shutdown();
        absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(db_path);
        ASSERT_TRUE(db.ok()) << db.status();
        rocksdb::WriteBatch batch;
        change(**db, batch);
        ASSERT_TRUE((*db)->db()->Write(Database::SyncWrite(), &batch).ok());
        db->reset();
        hub.Restart();
      };
  auto query = [&](bool cross_check) {
    v1::AuditQueryRequest request;
    request.mutable_subject()->set_bsn(kBsn);
    request.set_cross_check(cross_check);
    return hub.Auditor()->Query(request,
                                [](const v1::AuditRecord&) { return true; });
  };
  EXPECT_TRUE(query(true).ok());  // an honest index passes

  rewrite_index([&](Database& db, rocksdb::WriteBatch& batch) {
    batch.Delete(db.audit_index(), subject_key);
  });
  EXPECT_TRUE(query(false).ok());  // the index alone cannot tell
  absl::Status hidden_found = query(true);
  EXPECT_EQ(hidden_found.code(), absl::StatusCode::kDataLoss) << hidden_found;
  EXPECT_THAT(
      hidden_found.message(),
      HasSubstr(absl::StrCat("misses, under what was asked, record ", hidden)));

  // Put back, and plant the person's entry on a record about no one.
  const uint64_t planted = hub.Auditor()->GetCheckpoint()->tree_size() - 1;
  rewrite_index([&](Database& db, rocksdb::WriteBatch& batch) {
    batch.Put(db.audit_index(), subject_key, "");
    batch.Put(
        db.audit_index(),
        absl::StrCat(subject_prefix, storage_keys::EncodeSequence(planted)),
        "");
  });
  absl::Status planted_found = query(false);
  EXPECT_EQ(planted_found.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      planted_found.message(),
      HasSubstr(absl::StrCat("names, under what was asked, record ", planted)));
  EXPECT_EQ(query(true).code(), absl::StatusCode::kDataLoss);
}

// Checkpoints leave the host with every receipt: a partner keeps the newest
// it saw, and notices when the hub later signs a smaller tree (an older
// backup restored over newer records while the hub was stopped).
TEST(AuditE2eTest, APartnerNoticesATrailRolledBackByARestore) {
  TestHub hub;
  auto politie = hub.Client("politie");
  ASSERT_TRUE(politie->Submit(ValidSignal("roll-0")).ok());
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());  // signs one
  v1::BackupResponse backup;
  {
    grpc::ClientContext context;
    v1::BackupRequest request;
    request.set_name("before");
    ASSERT_TRUE(hub.Admin()->Backup(&context, request, &backup).ok());
  }
  for (int i = 1; i < 6; ++i)
    ASSERT_TRUE(politie->Submit(ValidSignal(absl::StrCat("roll-", i))).ok());
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());
  absl::StatusOr<v1::Receipt> seen = politie->Submit(ValidSignal("roll-6"));
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_TRUE(seen->has_checkpoint());
  const uint64_t seen_size = seen->checkpoint().tree_size();
  EXPECT_EQ(politie->NewestCheckpoint()->tree_size(), seen_size);
  EXPECT_TRUE(politie->CheckpointContinuity().ok());

  const std::string public_key = hub.AuditPublicKey();
  hub.Shutdown();
  const std::string db = hub.data_dir() + "/db";
  std::filesystem::rename(db, db + "-newer");
  ASSERT_TRUE(RestoreBackup(backup.path(), db, public_key).ok());
  hub.Restart();
  absl::StatusOr<v1::Receipt> after = politie->Submit(ValidSignal("roll-7"));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(after->has_checkpoint());
  EXPECT_LT(after->checkpoint().tree_size(), seen_size);
  const absl::Status continuity = politie->CheckpointContinuity();
  EXPECT_EQ(continuity.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(continuity.message(), HasSubstr("rolled back"));
  EXPECT_THAT(continuity.message(), HasSubstr(absl::StrCat(seen_size)));
  // A fresh client that remembers what it saw notices it too.
  auto remembering = hub.Client("politie");
  remembering->Remember(seen->checkpoint());
  ASSERT_TRUE(remembering->GetStatus(after->signal_id()).ok());
  EXPECT_EQ(remembering->CheckpointContinuity().code(),
            absl::StatusCode::kDataLoss);
}

// A rollback that is regrown past what the partner saw shows in no size:
// the partner's outbox keeps the newest checkpoint in its folder and asks
// the hub for a consistency proof to each newer one, across its restarts.
TEST(AuditE2eTest, AnOutboxNoticesATrailRolledBackAndRegrown) {
  TestHub hub;
  ::ketenhub::testing::TempDir outbox_dir;
  const std::string key_file = outbox_dir.path() + "/audit-signing.pub";
  ASSERT_TRUE(WritePrivateFile(key_file, hub.AuditPublicKey()).ok());
  SignalOutbox::Options options;
  options.path = outbox_dir.path() + "/outbox";
  options.client = hub.Options("politie");
  options.client.audit_public_key_file = key_file;
  auto send = [&](const std::string& ref) {
    absl::StatusOr<std::unique_ptr<SignalOutbox>> outbox =
        SignalOutbox::Open(options);
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    EXPECT_TRUE((*outbox)->Enqueue(ValidSignal(ref)).ok());
    EXPECT_TRUE((*outbox)->Flush(absl::Now() + absl::Seconds(10)).ok());
    return (*outbox)->CheckpointContinuity();
  };
  auto politie = hub.Client("politie");
  ASSERT_TRUE(politie->Submit(ValidSignal("regrow-0")).ok());
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());
  v1::BackupResponse backup;
  {
    grpc::ClientContext context;
    v1::BackupRequest request;
    request.set_name("before");
    ASSERT_TRUE(hub.Admin()->Backup(&context, request, &backup).ok());
  }
  ASSERT_TRUE(send("regrow-1").ok());
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());
  ASSERT_TRUE(send("regrow-2").ok());  // a grown trail is proven and kept
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());
  ASSERT_TRUE(send("regrow-3").ok());
  const std::string kept_file = options.path + "/checkpoint";
  v1::SignedCheckpoint kept;
  {
    std::ifstream in(kept_file, std::ios::binary);
    ASSERT_TRUE(kept.ParseFromIstream(&in));
  }
  EXPECT_EQ(
      std::filesystem::status(kept_file).permissions() &
          std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  hub.Shutdown();
  const std::string db = hub.data_dir() + "/db";
  std::filesystem::rename(db, db + "-newer");
  ASSERT_TRUE(RestoreBackup(backup.path(), db, hub.AuditPublicKey()).ok());
  hub.Restart();
  for (uint64_t i = 0; i < kept.tree_size() + 5; ++i) {
    ASSERT_TRUE(
        hub.Client("ggd")->Submit(ValidSignal(absl::StrCat("g-", i))).ok());
  }
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());

  const absl::Status continuity = send("regrow-4");
  EXPECT_EQ(continuity.code(), absl::StatusCode::kDataLoss) << continuity;
  EXPECT_THAT(continuity.message(), HasSubstr("does not extend"));
  v1::SignedCheckpoint still;
  std::ifstream in(kept_file, std::ios::binary);
  ASSERT_TRUE(still.ParseFromIstream(&in));
  EXPECT_EQ(still.tree_size(), kept.tree_size());  // kept for the inquiry
}

TEST(AuditE2eTest, ACheckpointSignedByAnotherKeyIsNoticed) {
  TestHub hub;
  TestHub other;
  ::ketenhub::testing::TempDir dir;
  const std::string wrong_key = dir.path() + "/other.pub";
  ASSERT_TRUE(WritePrivateFile(wrong_key, other.AuditPublicKey()).ok());
  ClientOptions options = hub.Options("politie");
  options.audit_public_key_file = wrong_key;
  absl::StatusOr<std::unique_ptr<SignalClient>> client =
      SignalClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(hub.Auditor()->GetCheckpoint().ok());
  ASSERT_TRUE((*client)->Submit(ValidSignal("key-1")).ok());
  const absl::Status continuity = (*client)->CheckpointContinuity();
  EXPECT_EQ(continuity.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(continuity.message(), HasSubstr("audit signature"));

  options.audit_public_key_file = dir.path() + "/missing.pub";
  EXPECT_THAT(SignalClient::Connect(options).status().message(),
              HasSubstr("audit_public_key_file"));
}

}  // namespace
}  // namespace ketenhub
