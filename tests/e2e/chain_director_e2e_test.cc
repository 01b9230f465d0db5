// End to end for the chain director: routes, releases, the resumable stream,
// matches, decisions and withdrawals, over real mutual TLS on loopback.
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "server/service/event_stream.h"
#include "server/service/hub.h"
#include "tests/testing/failing_file_system.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

constexpr char kExamplePolicy[] =
    KETENHUB_SOURCE_DIR "/deploy/policy-example.textproto";

std::vector<v1::Event> Collect(ChainDirectorClient& client, size_t n,
                               std::optional<uint64_t> from = std::nullopt,
                               absl::Duration timeout = absl::Seconds(20)) {
  return testing::CollectEvents(client, n, from, timeout);
}

v1::Signal WithSection(v1::Signal signal, v1::DataKind kind,
                       const std::string& text) {
  v1::Section* section = signal.add_sections();
  section->set_kind(kind);
  section->set_title("extra");
  section->set_text(text);
  return signal;
}

const v1::ReleasedSection* SectionOf(const v1::ReleasedSignal& signal,
                                     v1::DataKind kind) {
  for (const v1::ReleasedSection& section : signal.sections()) {
    if (section.kind() == kind) return &section;
  }
  return nullptr;
}

class ChainDirectorE2eTest : public ::testing::Test {
 protected:
  v1::Receipt Submit(const std::string& partner, const v1::Signal& signal) {
    absl::StatusOr<v1::Receipt> receipt = hub_.Client(partner)->Submit(signal);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return receipt.value_or(v1::Receipt());
  }

  TestHub hub_;
};

TEST_F(ChainDirectorE2eTest, RoutedSignalArrivesWithTheRouteReleases) {
  v1::Signal signal =
      WithSection(ValidSignal("pol-1"), v1::DATA_KIND_CRIMINAL, "strafblad");
  const v1::Receipt receipt = Submit("politie", signal);
  std::vector<v1::Event> events = Collect(*hub_.ChainDirector(), 1);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].has_signal_received());
  const v1::ReleasedSignal& released = events[0].signal_received();
  EXPECT_EQ(released.signal_id(), receipt.signal_id());
  EXPECT_EQ(released.source_partner(), "politie");
  EXPECT_EQ(released.subject().bsn(), "999990019");
  const v1::ReleasedSection* police = SectionOf(released, v1::DATA_KIND_POLICE);
  ASSERT_NE(police, nullptr);
  EXPECT_EQ(police->disclosure(), v1::DISCLOSURE_RELEASED);
  EXPECT_TRUE(police->no_onward_sharing());
  EXPECT_EQ(police->text(), testing::kTestSectionText);
  const v1::ReleasedSection* criminal =
      SectionOf(released, v1::DATA_KIND_CRIMINAL);
  ASSERT_NE(criminal, nullptr);
  EXPECT_EQ(criminal->disclosure(), v1::DISCLOSURE_WITHHELD_RELEASABLE);
  EXPECT_EQ(criminal->text(), "");
}

TEST_F(ChainDirectorE2eTest, UnroutedSignalIsStoredButDeliveredToNoOne) {
  const v1::Receipt unrouted =
      Submit("politie", ValidSignal("radical-1", v1::CATEGORY_RADICALISATION));
  const v1::Receipt routed = Submit("politie", ValidSignal("routed-1"));
  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("politie")->GetStatus(unrouted.signal_id());
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->routed());
  std::vector<v1::Event> events = Collect(*hub_.ChainDirector(), 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].signal_received().signal_id(), routed.signal_id());
  EXPECT_EQ(
      hub_.ChainDirector()->GetSignal(unrouted.signal_id()).status().code(),
      absl::StatusCode::kNotFound);

  grpc::ClientContext context;
  v1::ListUnroutedResponse listed;
  ASSERT_TRUE(hub_.Admin()
                  ->ListUnrouted(&context, v1::ListUnroutedRequest(), &listed)
                  .ok());
  ASSERT_EQ(listed.signals_size(), 1);
  EXPECT_EQ(listed.signals(0).signal_id(), unrouted.signal_id());
}

TEST_F(ChainDirectorE2eTest, HealthFromGgdIsWithheldUntilReleased) {
  v1::Signal signal = ValidSignal("ggd-1");
  signal.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
  const v1::Receipt receipt = Submit("ggd", signal);
  auto director = hub_.ChainDirector();
  absl::StatusOr<v1::ReleasedSignal> before =
      director->GetSignal(receipt.signal_id());
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(SectionOf(*before, v1::DATA_KIND_HEALTH)->disclosure(),
            v1::DISCLOSURE_WITHHELD_RELEASABLE);
  EXPECT_EQ(SectionOf(*before, v1::DATA_KIND_HEALTH)->text(), "");

  absl::StatusOr<v1::ReleasedSignal> after = director->Release(
      receipt.signal_id(), v1::DATA_KIND_HEALTH, "WGS art. 3, casusoverleg");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(SectionOf(*after, v1::DATA_KIND_HEALTH)->disclosure(),
            v1::DISCLOSURE_RELEASED);
  EXPECT_EQ(SectionOf(*after, v1::DATA_KIND_HEALTH)->text(),
            testing::kTestSectionText);
  EXPECT_EQ(
      SectionOf(*director->GetSignal(receipt.signal_id()), v1::DATA_KIND_HEALTH)
          ->text(),
      testing::kTestSectionText);
}

// Whitespace is no legal basis and no reason: refused, naming the field, and
// nothing is disclosed or changed.
TEST_F(ChainDirectorE2eTest, BlankLegalBasisOrReasonIsRefused) {
  v1::Signal signal = ValidSignal("ggd-blank");
  signal.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
  const v1::Receipt receipt = Submit("ggd", signal);
  auto director = hub_.ChainDirector();
  absl::Status release =
      director->Release(receipt.signal_id(), v1::DATA_KIND_HEALTH, "  \t ")
          .status();
  EXPECT_EQ(release.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(release.message()), HasSubstr("legal_basis"));
  EXPECT_EQ(
      SectionOf(*director->GetSignal(receipt.signal_id()), v1::DATA_KIND_HEALTH)
          ->disclosure(),
      v1::DISCLOSURE_WITHHELD_RELEASABLE);

  absl::Status decide =
      director->Decide(receipt.signal_id(), v1::OUTCOME_NO_ACTION, "   ")
          .status();
  EXPECT_EQ(decide.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(decide.message()), HasSubstr("reason"));
  absl::Status withdraw =
      hub_.Client("ggd")->Withdraw(receipt.signal_id(), " \n ").status();
  EXPECT_EQ(withdraw.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(withdraw.message()), HasSubstr("reason"));
  EXPECT_EQ(hub_.Client("ggd")->GetStatus(receipt.signal_id())->state(),
            v1::SIGNAL_STATE_RECEIVED);
}

TEST_F(ChainDirectorE2eTest, PoliceDataFromOthersIsNeverReleased) {
  const v1::Receipt receipt =
      Submit("ggd", ValidSignal("ggd-police"));  // POLICE section
  auto director = hub_.ChainDirector();
  EXPECT_EQ(
      SectionOf(*director->GetSignal(receipt.signal_id()), v1::DATA_KIND_POLICE)
          ->disclosure(),
      v1::DISCLOSURE_WITHHELD_NEVER);
  absl::Status refused =
      director->Release(receipt.signal_id(), v1::DATA_KIND_POLICE, "any")
          .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("DATA_KIND_POLICE"));
}

TEST_F(ChainDirectorE2eTest, OnlyTheChainDirectorRoleMayUseTheService) {
  const v1::Receipt receipt = Submit("politie", ValidSignal("pol-1"));
  for (const std::string who : {"politie", "auditor", "operator"}) {
    auto client = hub_.ChainDirector(who);
    EXPECT_EQ(client->GetSignal(receipt.signal_id()).status().code(),
              absl::StatusCode::kPermissionDenied)
        << who;
    EXPECT_EQ(client->Watch([](const v1::Event&) { return false; }).code(),
              absl::StatusCode::kPermissionDenied)
        << who;
  }
  EXPECT_EQ(hub_.ChainDirector("stranger")
                ->GetSignal(receipt.signal_id())
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(ChainDirectorE2eTest, MatchesWhenAnotherPartnerSignalsTheSamePerson) {
  Submit("politie", ValidSignal("pol-1"));
  Submit("ggd", ValidSignal("ggd-1"));          // second partner: match
  Submit("politie", ValidSignal("pol-2"));      // same partner again: none
  Submit("veilig-thuis", ValidSignal("vt-1"));  // third partner: updated match
  Submit("ggd", ValidSignal("ggd-other", v1::CATEGORY_SEXUAL_EXPLOITATION,
                            "999990020"));
  std::vector<v1::Event> events = Collect(*hub_.ChainDirector(), 7);
  std::vector<v1::MatchFound> matches;
  for (const v1::Event& event : events) {
    if (event.has_match_found()) matches.push_back(event.match_found());
  }
  ASSERT_EQ(events.size(), 7u);  // 5 received + 2 matches
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].signals_size(), 2);
  std::set<std::string> partners;
  for (const v1::MatchedSignal& s : matches[1].signals())
    partners.insert(s.source_partner());
  EXPECT_EQ(partners,
            (std::set<std::string>{"politie", "ggd", "veilig-thuis"}));
  EXPECT_EQ(matches[1].signals_size(), 4);
}

TEST_F(ChainDirectorE2eTest, DecisionReachesOnlyTheSourcePartner) {
  const v1::Receipt receipt = Submit("politie", ValidSignal("pol-1"));
  absl::StatusOr<v1::ReleasedSignal> decided = hub_.ChainDirector()->Decide(
      receipt.signal_id(), v1::OUTCOME_HANDED_TO_PARTNER,
      "Veilig Thuis neemt het op", "veilig-thuis");
  ASSERT_TRUE(decided.ok()) << decided.status();
  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("politie")->GetStatus(receipt.signal_id());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state(), v1::SIGNAL_STATE_DECIDED);
  EXPECT_EQ(status->decision().outcome(), v1::OUTCOME_HANDED_TO_PARTNER);
  EXPECT_EQ(status->decision().reason(), "Veilig Thuis neemt het op");
  EXPECT_EQ(status->decision().handed_to(), "veilig-thuis");
  EXPECT_EQ(status->decision().policy_version(), status->policy_version());
  EXPECT_EQ(hub_.Client("veilig-thuis")
                ->GetStatus(receipt.signal_id())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ChainDirectorE2eTest, DecisionRefusalsNameTheField) {
  const v1::Receipt receipt = Submit("politie", ValidSignal("pol-1"));
  auto director = hub_.ChainDirector();
  EXPECT_THAT(
      std::string(
          director->Decide(receipt.signal_id(), v1::OUTCOME_NO_ACTION, "")
              .status()
              .message()),
      HasSubstr("reason"));
  EXPECT_THAT(
      std::string(director
                      ->Decide(receipt.signal_id(),
                               v1::OUTCOME_HANDED_TO_PARTNER, "x", "nobody")
                      .status()
                      .message()),
      HasSubstr("handed_to"));
  EXPECT_EQ(director->Decide("no-such-id", v1::OUTCOME_NO_ACTION, "x")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ChainDirectorE2eTest, WithdrawEmitsEventAndLeavesMatching) {
  const v1::Receipt receipt = Submit("politie", ValidSignal("pol-1"));
  absl::StatusOr<v1::SignalStatus> withdrawn =
      hub_.Client("politie")->Withdraw(receipt.signal_id(), "dubbel ingevoerd");
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state(), v1::SIGNAL_STATE_WITHDRAWN);
  EXPECT_EQ(hub_.Client("politie")
                ->Withdraw(receipt.signal_id(), "again")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hub_.Client("ggd")
                ->Withdraw(receipt.signal_id(), "not mine")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  Submit(
      "ggd",
      ValidSignal("ggd-1"));  // same person, but politie's signal is withdrawn
  std::vector<v1::Event> events = Collect(*hub_.ChainDirector(), 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].has_signal_received());
  EXPECT_TRUE(events[1].has_signal_withdrawn());
  EXPECT_EQ(events[1].signal_withdrawn().reason(), "dubbel ingevoerd");
  EXPECT_TRUE(events[2].has_signal_received());
  // And no match: the hub holds no fourth event (an ack past the last event
  // is refused), which does not depend on waiting.
  auto director = hub_.ChainDirector();
  EXPECT_EQ(*director->Ack(events[2].cursor()), events[2].cursor());
  EXPECT_EQ(director->Ack(events[2].cursor() + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Submits `count` signals from four partners concurrently.
void SubmitMany(TestHub& hub, int count, const std::string& prefix) {
  const std::vector<std::string> partners = {"politie", "ggd", "veilig-thuis",
                                             "gemeente-hilversum"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto client = hub.Client(partners[t % 4], 8);
      for (int i = t; i < count; i += 8) {
        auto receipt = client->Submit(ValidSignal(
            absl::StrCat(prefix, "-", i), v1::CATEGORY_SEXUAL_EXPLOITATION,
            testing::TestBsns()[i % 8]));
        EXPECT_TRUE(receipt.ok()) << receipt.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

TEST_F(ChainDirectorE2eTest, ReconnectAtARandomPointLeavesNoGapAndNoDuplicate) {
  SubmitMany(hub_, 1000, "bulk");
  // Every signal is routed, plus match events. Read them all without acking.
  std::vector<v1::Event> all;
  {
    auto stub = v1::ChainDirectorService::NewStub(
        *MakeHubChannel(hub_.Options("ketenregisseur")));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(3));
    v1::SubscribeRequest request;
    request.set_from_cursor(0);
    auto reader = stub->Subscribe(&context, request);
    for (v1::Event event; reader->Read(&event);) all.push_back(event);
    reader->Finish();
  }
  const size_t total = all.size();
  ASSERT_GE(total, 1000u);
  std::mt19937 random(std::random_device{}());
  const size_t cut =
      std::uniform_int_distribution<size_t>(1, total - 1)(random);
  // A fresh identity position: ack everything up to `cut` through a partial
  // watch.
  std::vector<v1::Event> first = Collect(*hub_.ChainDirector(), cut);
  std::vector<v1::Event> rest =
      Collect(*hub_.ChainDirector(), total - cut);  // resumes after ack
  ASSERT_EQ(first.size(), cut);
  ASSERT_EQ(rest.size(), total - cut) << "cut at " << cut;
  std::vector<uint64_t> cursors;
  for (const auto& e : first) cursors.push_back(e.cursor());
  for (const auto& e : rest) cursors.push_back(e.cursor());
  for (size_t i = 0; i < cursors.size(); ++i) {
    ASSERT_EQ(cursors[i], all[i].cursor())
        << "gap or duplicate at " << i << ", cut " << cut;
  }
}

TEST_F(ChainDirectorE2eTest, HubRestartMidStreamResumesFromTheAckedCursor) {
  auto director = hub_.ChainDirector();
  absl::Mutex mu;
  std::vector<uint64_t> cursors;
  std::set<std::string> received_ids;
  std::thread watcher([&] {
    absl::Status status = director->Watch([&](const v1::Event& event) {
      absl::MutexLock lock(&mu);
      cursors.push_back(event.cursor());
      if (event.has_signal_received())
        received_ids.insert(event.signal_received().signal_id());
      return true;
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  SubmitMany(hub_, 200, "before");
  hub_.Restart();
  SubmitMany(hub_, 200, "after");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  auto all_received = [&] {
    absl::MutexLock lock(&mu);
    return received_ids.size() >= 400;
  };
  while (!all_received() && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(20));
  director->Cancel();
  watcher.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(received_ids.size(), 400u);
  std::set<uint64_t> distinct(cursors.begin(), cursors.end());
  EXPECT_LE(cursors.size() - distinct.size(), 1u)
      << "at most the event in flight comes twice";
  EXPECT_EQ(*distinct.rbegin(), distinct.size())
      << "cursors 1..N without a gap";
}

TEST_F(ChainDirectorE2eTest, ConcurrentStreamsOfOneIdentityEachSeeEverything) {
  SubmitMany(hub_, 40, "shared");
  std::vector<v1::Event> a, b;
  std::thread first(
      [&] { a = Collect(*hub_.ChainDirector(), 1000, 0, absl::Seconds(2)); });
  std::thread second(
      [&] { b = Collect(*hub_.ChainDirector(), 1000, 0, absl::Seconds(2)); });
  first.join();
  second.join();
  ASSERT_GE(a.size(), 40u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].cursor(), b[i].cursor());
}

TEST_F(ChainDirectorE2eTest, AckBeyondTheLastEventIsRefused) {
  Submit("politie", ValidSignal("pol-1"));
  auto director = hub_.ChainDirector();
  EXPECT_EQ(*director->Ack(1), 1u);
  EXPECT_EQ(*director->Ack(0), 1u);  // never moves back
  EXPECT_EQ(director->Ack(99).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Fail closed: an event whose "deliver" audit record cannot be written never
// leaves the hub, in any of the batches read ahead while earlier ones are
// audited; the stream ends UNAVAILABLE and says why.
TEST(DeliveryAuditE2eTest, NoEventLeavesTheHubUnaudited) {
  auto storage = testing::StartHubOverFailingStorage();
  ASSERT_TRUE(storage.ok()) << storage.status();
  Hub* hub = (*storage)->hub.get();
  testing::FailingFileSystem* file_system = (*storage)->file_system.get();
  {
    auto client = *SignalClient::Connect(
        testing::ClientOptionsFor("politie", hub->port(), 1));
    std::vector<v1::Signal> signals;
    for (int i = 0; i < 1000; ++i)
      signals.push_back(ValidSignal(absl::StrCat("audit-", i)));
    for (const absl::StatusOr<v1::Receipt>& receipt :
         client->SubmitBatch(signals)) {
      ASSERT_TRUE(receipt.ok()) << receipt.status();
    }
  }
  file_system->SetFailing(true);
  auto stub = v1::ChainDirectorService::NewStub(*MakeHubChannel(
      testing::ClientOptionsFor("ketenregisseur", hub->port(), 1)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::SubscribeRequest request;
  request.set_from_cursor(0);
  auto reader = stub->Subscribe(&context, request);
  int received = 0;
  for (v1::Event event; reader->Read(&event);) ++received;
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(received, 0);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("audit trail"));
  hub->Shutdown();
}

TEST(PolicyReloadE2eTest, BadFileIsRefusedAndTheOldPolicyStays) {
  testing::TempDir dir;
  const std::string policy = dir.path() + "/policy.textproto";
  const std::string example = *ReadFileToString(kExamplePolicy);
  std::ofstream(policy) << example;
  TestHub hub(policy);
  auto reload = [&]() {
    grpc::ClientContext context;
    v1::ReloadPolicyResponse response;
    grpc::Status status = hub.Admin()->ReloadPolicy(
        &context, v1::ReloadPolicyRequest(), &response);
    return std::make_pair(status, response.policy_version());
  };
  std::ofstream(policy, std::ios::trunc) << "partners { id: \"broken\" }\n";
  auto [refused, unused] = reload();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("partners[0] (broken)"));
  EXPECT_TRUE(hub.Client("ggd")->Submit(ValidSignal("still-allowed")).ok());

  // A valid new policy that drops GGD's sexual-exploitation right takes over.
  std::string narrower = example;
  const std::string grant =
      "  may_submit: [\n    CATEGORY_SEXUAL_EXPLOITATION, "
      "CATEGORY_LABOUR_EXPLOITATION,\n    CATEGORY_CRIMINAL_EXPLOITATION, "
      "CATEGORY_ORGAN_REMOVAL,\n    CATEGORY_LOVERBOY_GROOMING, "
      "CATEGORY_CONFUSED_BEHAVIOUR\n  ]\n}";
  const size_t at = narrower.find(grant);
  ASSERT_NE(at, std::string::npos);
  narrower.replace(at, grant.size(),
                   "  may_submit: [ CATEGORY_CONFUSED_BEHAVIOUR ]\n}");
  std::ofstream(policy, std::ios::trunc) << narrower;
  auto [accepted, version] = reload();
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(version.size(), 64u);
  EXPECT_EQ(
      hub.Client("ggd")->Submit(ValidSignal("now-denied")).status().code(),
      absl::StatusCode::kPermissionDenied);
  grpc::ClientContext context;
  v1::ReloadPolicyResponse response;
  EXPECT_EQ(hub.Admin("politie")
                ->ReloadPolicy(&context, v1::ReloadPolicyRequest(), &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// A chain director's stream whose subscriber stops reading holds at most
// about three batches of events in the hub, however many signals arrive: the
// stream reads the next batch only while less than two wait to be written.
TEST(StalledStreamTest, HoldsAtMostThreeBatchesWhileTheBacklogGrows) {
  TestHub hub;
  // A subscriber with a small, fixed HTTP/2 window, so that the hub's writes
  // stall after a few dozen events instead of filling megabytes of buffers.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ReadFileToString(testing::PkiFile("ca.pem"));
  ssl.pem_cert_chain =
      *ReadFileToString(testing::PkiFile("ketenregisseur.pem"));
  ssl.pem_private_key =
      *ReadFileToString(testing::PkiFile("ketenregisseur-key.pem"));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto stub = v1::ChainDirectorService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", hub.port()), grpc::SslCredentials(ssl), args));
  grpc::ClientContext stalled;
  v1::SubscribeRequest from_start;
  from_start.set_from_cursor(0);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      stub->Subscribe(&stalled, from_start);

  constexpr size_t kSignals = 3000;
  std::vector<v1::Signal> signals;
  for (size_t i = 0; i < kSignals; ++i)
    signals.push_back(ValidSignal(absl::StrCat("stalled-", i)));
  for (const absl::StatusOr<v1::Receipt>& receipt :
       hub.Client("politie")->SubmitBatch(std::move(signals))) {
    ASSERT_TRUE(receipt.ok()) << receipt.status();
  }
  // The stream reads until its window is full and two batches wait; wait for
  // that (a condition, not a time), then check the most it ever held.
  const size_t batch = EventStream::kBatch;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (EventStream::MostEventsHeld() < 2 * batch && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(20));
  EXPECT_GE(EventStream::MostEventsHeld(), 2 * batch)
      << "the stream never filled: was the subscriber not stalled?";
  EXPECT_LE(EventStream::MostEventsHeld(), 3 * batch);
  // Reading again drains the backlog: the first event is the first signal's.
  v1::Event first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.cursor(), 1u);
  stalled.TryCancel();
}

}  // namespace
}  // namespace ketenhub
