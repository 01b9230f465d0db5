// End to end for the witness: ketenwitness's rounds against a real hub over
// mutual TLS cosign each checkpoint that extends the last, keep their state
// across restarts, refuse one that does not; the hub stores the
// cosignatures and refuses to start on a trail rolled back behind them.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "gtest/gtest.h"
#include "server/audit/checkpoint.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/storage/store_maintenance.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"
#include "tools/ketenwitness/witness.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

// The example policy with a witness partner whose key is `witness_pem`.
std::string PolicyWithWitness(const std::string& dir,
                              const std::string& witness_pem) {
  std::string policy = *ReadFileToString(
      absl::StrCat(KETENHUB_SOURCE_DIR, "/deploy/policy-example.textproto"));
  absl::StrAppend(&policy, R"pb(
                    partners {
                      id: "witness"
                      name: "Functionaris Gegevensbescherming ZVH (witness)"
                      oin: "00000099000000000008"
                      roles: ROLE_WITNESS
                      regime: DATA_REGIME_AVG
                      witness_public_key: ")pb",
                  absl::StrReplaceAll(witness_pem, {{"\n", "\\n"}}), "\"\n}\n");
  const std::string path = dir + "/policy.textproto";
  EXPECT_TRUE(WritePrivateFile(path, policy).ok());
  return path;
}

class WitnessE2eTest : public ::testing::Test {
 protected:
  WitnessE2eTest()
      : witness_(*Witness::Open(dir_.path() + "/witness")),
        hub_(PolicyWithWitness(dir_.path(),
                               witness_->signer().public_key_pem())) {}

  absl::StatusOr<v1::Cosignature> Round(Witness& witness) {
    ClientOptions options = hub_.Options("witness");
    auto channel = MakeHubChannel(options);
    EXPECT_TRUE(channel.ok()) << channel.status();
    auto stub = v1::WitnessService::NewStub(*channel);
    return witness.Round(*stub, options, hub_.AuditPublicKey());
  }

  void Submit(int n, const std::string& prefix) {
    auto politie = hub_.Client("politie");
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(politie->Submit(ValidSignal(absl::StrCat(prefix, i))).ok());
    }
  }

  v1::BackupResponse Backup() {
    grpc::ClientContext context;
    v1::BackupRequest request;
    request.set_name("witnessed");
    v1::BackupResponse backup;
    EXPECT_TRUE(hub_.Admin()->Backup(&context, request, &backup).ok());
    return backup;
  }

  // Puts the backup in place of the hub's database (hub stopped).
  void RestoreOver(const v1::BackupResponse& backup) {
    const std::string db = hub_.data_dir() + "/db";
    std::filesystem::rename(db, db + "-newer");
    ASSERT_TRUE(RestoreBackup(backup.path(), db, hub_.AuditPublicKey()).ok());
  }

  TempDir dir_;
  std::unique_ptr<Witness> witness_;
  TestHub hub_;
};

TEST_F(WitnessE2eTest, CosignsEachExtensionAndKeepsItsStateAcrossRestarts) {
  Submit(3, "w-");
  absl::StatusOr<v1::Cosignature> first = Round(*witness_);
  ASSERT_TRUE(first.ok()) << first.status();
  Submit(4, "x-");
  // A restarted witness (the same folder) goes on from what it accepted.
  std::unique_ptr<Witness> again = *Witness::Open(dir_.path() + "/witness");
  ASSERT_EQ((*again->Accepted())->tree_size(), first->tree_size());
  absl::StatusOr<v1::Cosignature> second = Round(*again);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(second->tree_size(), first->tree_size());

  // The hub holds the newest and serves it with its checkpoints.
  ClientOptions options = hub_.Options("witness");
  auto stub = v1::WitnessService::NewStub(*MakeHubChannel(options));
  grpc::ClientContext context;
  v1::WitnessCheckpoint served;
  ASSERT_TRUE(
      stub->GetCheckpoint(&context, v1::GetCheckpointRequest(), &served).ok());
  ASSERT_EQ(served.cosignatures_size(), 1);
  EXPECT_EQ(served.cosignatures(0).tree_size(), second->tree_size());
  EXPECT_TRUE(VerifyCosignature(served.cosignatures(0),
                                witness_->signer().public_key_pem())
                  .ok());

  const std::string state = dir_.path() + "/witness";
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(state).permissions() & fs::perms::all,
            fs::perms::owner_all);
  for (const char* file :
       {"/witness.key", "/accepted", "/cosignatures.jsonl"}) {
    EXPECT_EQ(fs::status(state + file).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << file;
  }
  std::ifstream log(state + "/cosignatures.jsonl");
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, 2);

  // Only a witness may hand in cosignatures, and only its own.
  v1::AddCosignatureRequest forged;
  *forged.mutable_cosignature() = *second;
  forged.mutable_cosignature()->set_tree_size(1);
  grpc::ClientContext forged_context;
  v1::AddCosignatureResponse response;
  grpc::Status refused =
      stub->AddCosignature(&forged_context, forged, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("signature is not valid"));
  auto auditor_channel = MakeHubChannel(hub_.Options("auditor"));
  grpc::ClientContext auditor_context;
  EXPECT_EQ(v1::WitnessService::NewStub(*auditor_channel)
                ->AddCosignature(&auditor_context, forged, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Each cosignature handed in is in the trail, refusals too.
  v1::AuditQueryRequest query;
  query.set_operation("audit_cosign");
  std::vector<std::string> outcomes;
  ASSERT_TRUE(hub_.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            outcomes.push_back(
                                absl::StrCat(record.actor_partner_id(), " ",
                                             record.status_code()));
                            return true;
                          })
                  .ok());
  EXPECT_THAT(outcomes, ::testing::ElementsAre("witness OK", "witness OK",
                                               "witness INVALID_ARGUMENT",
                                               "auditor PERMISSION_DENIED"));
}

TEST_F(WitnessE2eTest, TheHubWillNotStartBehindItsWitness) {
  Submit(2, "a-");
  const v1::BackupResponse backup = Backup();
  Submit(5, "b-");
  absl::StatusOr<v1::Cosignature> cosigned = Round(*witness_);
  ASSERT_TRUE(cosigned.ok()) << cosigned.status();

  hub_.Shutdown();
  RestoreOver(backup);
  absl::Status refused = hub_.TryStart();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("rolled back"));
  EXPECT_THAT(refused.message(),
              HasSubstr(absl::StrCat("cosigned ", cosigned->tree_size())));
  EXPECT_THAT(refused.message(), HasSubstr("--accept-rollback"));

  // The operator accepts the restore, on the record; the witness does not.
  Hub::Overrides accept;
  accept.accept_rollback_reason = "schijf defect, back-up van gisteren";
  ASSERT_TRUE(hub_.TryStart(accept).ok());
  Submit(20, "c-");  // regrown past what was cosigned
  absl::StatusOr<v1::Cosignature> again = Round(*witness_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(again.status().message(), HasSubstr("does not extend"));
  EXPECT_EQ((*witness_->Accepted())->tree_size(), cosigned->tree_size());

  v1::AuditQueryRequest query;
  query.set_operation("rollback_accepted");
  std::vector<v1::AuditRecord> records;
  ASSERT_TRUE(hub_.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            records.push_back(record);
                            return true;
                          })
                  .ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].details().at("reason"),
            "schijf defect, back-up van gisteren");
  EXPECT_THAT(records[0].details().at("problem"),
              HasSubstr(absl::StrCat(cosigned->tree_size())));
  // Accepted once: the next start needs (and takes) no override.
  hub_.Shutdown();
  EXPECT_TRUE(hub_.TryStart().ok());
  hub_.Shutdown();
  EXPECT_EQ(hub_.TryStart(accept).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenhub
