// End to end for data protection: a person's access and erasure requests,
// retention previews, key rotation under load, over real mutual TLS.
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/storage/signal_store.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

constexpr char kBsn[] = "999990019";

TEST(ProtectionE2eTest, ARunningHubIsNotDumpable) {
  testing::TestHub hub;  // in this process
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  rlimit core{};
  ASSERT_EQ(getrlimit(RLIMIT_CORE, &core), 0);
  EXPECT_EQ(core.rlim_cur, 0u);
  EXPECT_EQ(core.rlim_max, 0u);
}

// The keys a hub holds in memory (its KEKs, its pseudonym key, the audit
// signing key) live in OpenSSL's secure heap: a mapping the kernel keeps
// locked in memory (never swapped) and leaves out of any dump.
TEST(ProtectionE2eTest, ARunningHubKeepsItsKeysInLockedUndumpedMemory) {
  testing::TestHub hub;  // in this process, keys in files
  ASSERT_EQ(CRYPTO_secure_malloc_initialized(), 1);
  // The KEK (32 bytes), the pseudonym key (32) and the Ed25519 private key.
  EXPECT_GE(CRYPTO_secure_used(), 96u);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool locked_and_undumped = false;
  while (std::getline(smaps, line)) {
    if (absl::StartsWith(line, "VmFlags:") && absl::StrContains(line, " lo") &&
        absl::StrContains(line, " dd")) {
      locked_and_undumped = true;
    }
  }
  EXPECT_TRUE(locked_and_undumped)
      << "no mapping both locked (lo) and left out of dumps (dd)";
}

TEST(ProtectionE2eTest, ExportGivesThePersonsSignalsAndAccessHistory) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> receipt = hub.Client("politie")->Submit(
      ValidSignal("e1", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn));
  ASSERT_TRUE(receipt.ok());
  ASSERT_TRUE(hub.Client("ggd")
                  ->Submit(ValidSignal("e2", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                       testing::TestBsns()[2]))
                  .ok());  // someone else
  ASSERT_TRUE(hub.ChainDirector()->GetSignal(receipt->signal_id()).ok());

  v1::Subject subject;
  subject.set_bsn(kBsn);
  absl::StatusOr<v1::ExportSubjectResponse> exported =
      hub.ExportSubject(subject);
  ASSERT_TRUE(exported.ok()) << exported.status();
  const v1::ExportSubjectResponse& response = *exported;
  ASSERT_EQ(response.signals_size(), 1);
  EXPECT_EQ(response.signals(0).signal().summary(), testing::kTestNarrative);
  EXPECT_EQ(response.signals(0).signal().subject().bsn(), kBsn);
  std::vector<std::string> history;
  for (const v1::AuditRecord& r : response.access_history())
    history.push_back(absl::StrCat(r.actor_partner_id(), " ", r.operation()));
  // The export's own request and its approval are part of the history.
  EXPECT_THAT(history, ::testing::ElementsAre("politie submit",
                                              "ketenregisseur get_signal",
                                              "operator subject_request",
                                              "auditor subject_approve"));

  EXPECT_EQ(hub.ExportSubject(subject, "ketenregisseur").status().code(),
            absl::StatusCode::kPermissionDenied);
}

// The right of access holds for a person with thousands of signals and
// audit records: the export streams in parts, each under gRPC's message
// limit, and leaves nothing out.
TEST(ProtectionE2eTest, ExportOfAPersonWithThousandsOfSignalsIsWhole) {
  TestHub hub;
  constexpr int kSignals = 2000;
  std::vector<v1::Signal> signals;
  for (int i = 0; i < kSignals; ++i) {
    v1::Signal signal = ValidSignal(absl::StrCat("many-", i),
                                    v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn);
    signal.set_summary(std::string(2000, 'x'));  // 4 MB of summaries
    signals.push_back(std::move(signal));
  }
  for (const absl::StatusOr<v1::Receipt>& receipt :
       hub.Client("politie")->SubmitBatch(signals)) {
    ASSERT_TRUE(receipt.ok()) << receipt.status();
  }
  v1::Subject subject;
  subject.set_bsn(kBsn);
  int parts = 0;
  absl::StatusOr<v1::ExportSubjectResponse> exported =
      hub.ExportSubject(subject, "operator", &parts);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->signals_size(), kSignals);
  // each submit, the request and its approval
  EXPECT_EQ(exported->access_history_size(), kSignals + 2);
  EXPECT_EQ(exported->subject_pseudonym().size(), 64u);
  EXPECT_GT(parts, 4);
  std::set<std::string> ids;
  for (const v1::SubjectSignal& s : exported->signals())
    ids.insert(s.signal_id());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSignals));
}

TEST(ProtectionE2eTest, ErasureShredsThePersonTellsEveryoneAndIsAudited) {
  TestHub hub;
  auto politie = hub.Client("politie");
  absl::StatusOr<v1::Receipt> mine = politie->Submit(
      ValidSignal("x1", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn));
  absl::StatusOr<v1::Receipt> other = politie->Submit(ValidSignal(
      "x2", v1::CATEGORY_SEXUAL_EXPLOITATION, testing::TestBsns()[2]));
  ASSERT_TRUE(mine.ok() && other.ok());

  v1::EraseSubjectRequest request;
  request.mutable_subject()->set_bsn(kBsn);
  v1::EraseSubjectResponse response;
  {
    grpc::ClientContext context;  // four eyes: an approved request
    EXPECT_EQ(
        hub.Admin()->EraseSubject(&context, request, &response).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  absl::StatusOr<std::string> approved = hub.ApprovedRequest(
      v1::SUBJECT_REQUEST_ERASE, request.subject(), "AVG-17 verzoek 2026-0042");
  ASSERT_TRUE(approved.ok()) << approved.status();
  request.set_request_id(*approved);
  {
    grpc::ClientContext context;
    EXPECT_EQ(hub.Admin("auditor")
                  ->EraseSubject(&context, request, &response)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::ClientContext context;
  ASSERT_TRUE(hub.Admin()->EraseSubject(&context, request, &response).ok());
  ASSERT_EQ(response.erased_signal_ids_size(), 1);
  EXPECT_EQ(response.erased_signal_ids(0), mine->signal_id());

  absl::StatusOr<v1::SignalStatus> status =
      politie->GetStatus(mine->signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->state(), v1::SIGNAL_STATE_DESTROYED);
  EXPECT_EQ(status->destruction_rule(), "erasure: AVG-17 verzoek 2026-0042");
  EXPECT_TRUE(status->has_destroyed_at());
  EXPECT_EQ(politie->GetStatus(other->signal_id())->state(),
            v1::SIGNAL_STATE_RECEIVED);
  absl::StatusOr<v1::ReleasedSignal> gone =
      hub.ChainDirector()->GetSignal(mine->signal_id());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition);

  // The chain director's stream: received x2, then withdrawn (erased).
  auto director = hub.ChainDirector();
  std::vector<v1::Event> events;
  std::thread watcher([&] {
    (void)director->Watch([&](const v1::Event& event) {
      events.push_back(event);
      if (events.size() >= 2) director->Cancel();
      return true;
    });
  });
  watcher.join();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].has_signal_received());  // x1's is skipped: destroyed
  EXPECT_EQ(events[0].signal_received().signal_id(), other->signal_id());
  EXPECT_EQ(events[1].signal_withdrawn().signal_id(), mine->signal_id());

  std::vector<v1::AuditRecord> trail;
  v1::AuditQueryRequest query;
  query.mutable_subject()->set_bsn(kBsn);
  ASSERT_TRUE(hub.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& r) {
                            trail.push_back(r);
                            return true;
                          })
                  .ok());
  ASSERT_FALSE(trail.empty());
  EXPECT_EQ(trail.front().operation(), "submit");  // history is kept
  bool erased = false;
  for (const v1::AuditRecord& r : trail) {
    if (r.operation() == "subject_erase" && r.status_code() == "OK") {
      erased = true;
      EXPECT_EQ(r.signal_ids(0), mine->signal_id());
    }
  }
  EXPECT_TRUE(erased);
}

// A destroyed signal is NOT_FOUND to every partner but its source, whatever
// the operation: its state must not tell another partner that it existed.
TEST(ProtectionE2eTest, ADestroyedSignalIsUnknownToOtherPartners) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> mine = hub.Client("politie")->Submit(
      ValidSignal("d1", v1::CATEGORY_SEXUAL_EXPLOITATION, kBsn));
  ASSERT_TRUE(mine.ok()) << mine.status();
  v1::Subject subject;
  subject.set_bsn(kBsn);
  ASSERT_TRUE(hub.EraseSubject(subject, "AVG-17 verzoek 2026-0043").ok());

  auto ggd = hub.Client("ggd");
  for (const absl::Status& status :
       {ggd->Withdraw(mine->signal_id(), "niet van ons").status(),
        ggd->GetStatus(mine->signal_id()).status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
    EXPECT_EQ(status.message(), "signal_id: no such signal");
  }
  // Its source still learns why it cannot withdraw it.
  EXPECT_EQ(hub.Client("politie")
                ->Withdraw(mine->signal_id(), "dubbel gemeld")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ProtectionE2eTest, RetentionDryRunPreviewsWhatWillGo) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> receipt =
      hub.Client("politie")->Submit(ValidSignal("r1"));
  ASSERT_TRUE(receipt.ok());
  v1::RunRetentionRequest request;
  request.set_dry_run(true);
  v1::RunRetentionResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(hub.Admin()->RunRetention(&context, request, &response).ok());
    EXPECT_EQ(response.destroyed_size(), 0);
  }
  request.mutable_as_of()->set_seconds(absl::ToUnixSeconds(
      absl::Now() + absl::Hours(24 * 1826)));  // five years on
  {
    grpc::ClientContext context;
    ASSERT_TRUE(hub.Admin()->RunRetention(&context, request, &response).ok());
    ASSERT_EQ(response.destroyed_size(), 1);
    EXPECT_EQ(response.destroyed(0).signal_id(), receipt->signal_id());
    EXPECT_THAT(response.destroyed(0).rule(), HasSubstr("after 1825 days"));
  }
  request.set_dry_run(false);  // a real run cannot pretend it is later
  grpc::ClientContext context;
  EXPECT_EQ(
      hub.Admin()->RunRetention(&context, request, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(hub.Client("politie")->GetStatus(receipt->signal_id())->state(),
            v1::SIGNAL_STATE_RECEIVED);
}

TEST(ProtectionE2eTest, KekRotationUnderLoadKeepsEverySignalReadable) {
  TestHub hub;
  auto politie = hub.Client("politie", 5);
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<v1::Receipt> r =
        politie->Submit(ValidSignal(absl::StrCat("k", i)));
    ASSERT_TRUE(r.ok());
    ids.push_back(r->signal_id());
  }
  std::vector<std::string> during;
  std::thread load([&] {
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<v1::Receipt> r =
          politie->Submit(ValidSignal(absl::StrCat("d", i)));
      if (r.ok()) during.push_back(r->signal_id());
    }
  });
  grpc::ClientContext context;
  v1::RotateKekResponse response;
  grpc::Status rotated =
      hub.Admin()->RotateKek(&context, v1::RotateKekRequest(), &response);
  load.join();
  ASSERT_TRUE(rotated.ok()) << rotated.error_message();
  EXPECT_GE(response.data_keys_rewrapped(), 100u);
  EXPECT_EQ(response.unused_kek_ids_size(), 1);
  ASSERT_EQ(during.size(), 100u);
  ids.insert(ids.end(), during.begin(), during.end());
  hub.Restart();
  auto director = hub.ChainDirector();
  for (const std::string& id : ids) {
    absl::StatusOr<v1::ReleasedSignal> signal = director->GetSignal(id);
    ASSERT_TRUE(signal.ok()) << signal.status();
    EXPECT_EQ(signal->summary(), testing::kTestNarrative);
  }
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

TEST(ProtectionE2eTest, HubRefusesAnotherPseudonymKeyThanItsDataHas) {
  testing::TempDir dir;
  const v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  {
    absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
    ASSERT_TRUE(hub.ok()) << hub.status();
  }
  const std::string key = dir.path() + "/data/keys/pseudonym.key";
  {
    std::ofstream out(key, std::ios::trunc | std::ios::binary);
    out << std::string(32, 'x');  // a different key of the right shape
  }
  absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
  EXPECT_EQ(hub.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(hub.status().message(), HasSubstr("pseudonym.key"));
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// The permission bits of `path` (e.g. 0700).
unsigned ModeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

TEST(BackupE2eTest, RestoredBackupServesEverySignalCursorAndAuditRecord) {
  const mode_t umask_before = ::umask(022);  // a permissive operator shell
  testing::TestHub hub;
  auto politie = hub.Client("politie");
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<v1::Receipt> r =
        politie->Submit(testing::ValidSignal(absl::StrCat("b", i)));
    ASSERT_TRUE(r.ok());
    ids.push_back(r->signal_id());
  }
  {  // the chain director acked four events; the fifth ended its watch
    auto director = hub.ChainDirector();
    int seen = 0;
    ASSERT_TRUE(
        director->Watch([&](const v1::Event&) { return ++seen < 5; }).ok());
  }
  v1::BackupRequest request;
  request.set_name("../elsewhere");
  v1::BackupResponse response;
  {
    grpc::ClientContext context;
    EXPECT_EQ(hub.Admin()->Backup(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  request.set_name("2026-11-22");
  {
    grpc::ClientContext context;
    grpc::Status status = hub.Admin()->Backup(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(response.signals(), 20u);
  EXPECT_GT(response.audit_records(), 20u);
  // A backup holds personal data: private, whatever the umask.
  EXPECT_EQ(ModeOf(std::filesystem::path(response.path()).parent_path()),
            0700u);
  EXPECT_EQ(ModeOf(response.path()), 0700u);
  int files = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(response.path())) {
    ++files;
    EXPECT_EQ(ModeOf(entry.path().string()),
              entry.is_directory() ? 0700u : 0600u)
        << entry.path();
  }
  EXPECT_GT(files, 3);
  {
    grpc::ClientContext context;  // a name is used once
    EXPECT_EQ(hub.Admin()->Backup(&context, request, &response).error_code(),
              grpc::StatusCode::ALREADY_EXISTS);
  }
  const std::string public_key = hub.AuditPublicKey();
  hub.Shutdown();

  // A fresh data folder: the keys from their own backup, then the database.
  testing::TempDir fresh;
  const std::string data = fresh.path() + "/data";
  std::filesystem::create_directories(data);
  std::filesystem::copy(hub.data_dir() + "/keys", data + "/keys",
                        std::filesystem::copy_options::recursive);
  absl::StatusOr<StoreMaintenance::BackupInfo> restored =
      RestoreBackup(response.path(), data + "/db", public_key);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->signals, 20u);
  EXPECT_EQ(ModeOf(data + "/db"), 0700u);
  EXPECT_EQ(
      RestoreBackup(response.path(), data + "/db", public_key).status().code(),
      absl::StatusCode::kFailedPrecondition);  // never over live data

  absl::StatusOr<std::unique_ptr<Hub>> again =
      Hub::Start(testing::TestHubConfig(data));
  ASSERT_TRUE(again.ok()) << again.status();
  ClientOptions options = hub.Options("ketenregisseur", 3);
  options.target = absl::StrCat("127.0.0.1:", (*again)->port());
  auto director = *ChainDirectorClient::Connect(options);
  for (const std::string& id : ids) {
    absl::StatusOr<v1::ReleasedSignal> signal = director->GetSignal(id);
    ASSERT_TRUE(signal.ok()) << signal.status();
    EXPECT_EQ(signal->summary(), testing::kTestNarrative);
  }
  uint64_t first_cursor = 0;
  ASSERT_TRUE(director
                  ->Watch([&](const v1::Event& event) {
                    first_cursor = event.cursor();
                    return false;
                  })
                  .ok());
  EXPECT_EQ(first_cursor, 5u);  // resumes after the acked four
  options = hub.Options("auditor", 3);
  options.target = absl::StrCat("127.0.0.1:", (*again)->port());
  auto auditor = *AuditClient::Connect(options);
  absl::StatusOr<v1::SignedCheckpoint> checkpoint =
      auditor->VerifyLog(public_key, std::nullopt);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_GT(checkpoint->tree_size(), response.audit_records());
  ::umask(umask_before);
}

}  // namespace
}  // namespace ketenhub
