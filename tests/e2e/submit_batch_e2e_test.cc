// End to end: SubmitBatch on the real hub over real mutual TLS on loopback,
// certificates generated for this run, RocksDB in a temporary folder.
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/storage/database.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

std::vector<v1::Signal> Signals(
    const std::string& prefix, int count,
    v1::Category category = v1::CATEGORY_SEXUAL_EXPLOITATION) {
  std::vector<v1::Signal> signals;
  for (int i = 0; i < count; ++i) {
    signals.push_back(ValidSignal(absl::StrCat(prefix, i), category));
  }
  return signals;
}

// Sends `signals` on one raw SubmitBatch stream, one per message, and
// returns the results by index and the stream's status.
struct RawBatch {
  std::map<uint64_t, v1::SubmitResult> results;
  grpc::Status status;
};
RawBatch SendRaw(v1::SignalService::Stub& stub,
                 const std::vector<v1::Signal>& signals) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto stream = stub.SubmitBatch(&context);
  for (const v1::Signal& signal : signals) {
    v1::SubmitBatchRequest message;
    *message.add_requests()->mutable_signal() = signal;
    if (!stream->Write(message)) break;
  }
  stream->WritesDone();
  RawBatch batch;
  v1::SubmitBatchResponse response;
  while (stream->Read(&response)) {
    for (const v1::SubmitResult& result : response.results()) {
      EXPECT_TRUE(batch.results.emplace(result.index(), result).second)
          << "index " << result.index() << " answered twice";
    }
  }
  batch.status = stream->Finish();
  return batch;
}

TEST(SubmitBatchE2eTest, EachSignalIsAnsweredOnItsOwn) {
  TestHub hub;
  std::vector<v1::Signal> signals = Signals("ggd-", 100);
  signals[10].mutable_subject()->set_bsn("999990018");  // fails the 11-proef
  signals[20].set_category(v1::CATEGORY_DOMESTIC_VIOLENCE);  // not for GGD
  std::vector<absl::StatusOr<v1::Receipt>> results =
      hub.Client("ggd")->SubmitBatch(signals);
  ASSERT_EQ(results.size(), 100u);
  EXPECT_EQ(results[10].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(results[10].status().message()),
              HasSubstr("subject.bsn"));
  EXPECT_EQ(results[20].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(results[20].status().message()),
              HasSubstr("may not submit CATEGORY_DOMESTIC_VIOLENCE"));
  std::set<uint64_t> sequences;
  for (int i = 0; i < 100; ++i) {
    if (i == 10 || i == 20) continue;
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->client_ref(), absl::StrCat("ggd-", i));
    sequences.insert(results[i]->sequence());
  }
  EXPECT_EQ(sequences.size(), 98u);
  absl::StatusOr<v1::SignalStatus> status =
      hub.Client("ggd")->GetStatus(results[0]->signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->client_ref(), "ggd-0");
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 98);
}

TEST(SubmitBatchE2eTest, ABatchSentAgainGetsTheSameReceipts) {
  TestHub hub;
  auto client = hub.Client("politie");
  const std::vector<v1::Signal> signals = Signals("again-", 50);
  std::vector<absl::StatusOr<v1::Receipt>> first = client->SubmitBatch(signals);
  std::vector<v1::Signal> changed = signals;
  changed[7].set_summary("other content under a used client_ref");
  std::vector<absl::StatusOr<v1::Receipt>> second =
      client->SubmitBatch(changed);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(first[i].ok()) << first[i].status();
    if (i == 7) {
      EXPECT_EQ(second[i].status().code(), absl::StatusCode::kAlreadyExists);
      continue;
    }
    ASSERT_TRUE(second[i].ok()) << second[i].status();
    EXPECT_EQ(second[i]->signal_id(), first[i]->signal_id());
    EXPECT_EQ(second[i]->sequence(), first[i]->sequence());
  }
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 50);
}

TEST(SubmitBatchE2eTest, EverySignalOfABatchIsAuditedUnderTheStreamsTrace) {
  TestHub hub;
  std::vector<v1::Signal> signals = Signals("audited-", 20);
  signals[3].mutable_subject()->set_bsn("12");
  std::vector<absl::StatusOr<v1::Receipt>> results =
      hub.Client("politie")->SubmitBatch(signals);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  v1::AuditQueryRequest query;
  query.set_operation("submit");
  query.set_actor("politie");
  std::set<std::string> traces;
  int ok = 0;
  int refused = 0;
  ASSERT_TRUE(hub.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            traces.insert(record.trace_id());
                            EXPECT_FALSE(record.parent_span_id().empty());
                            if (record.status_code() == "OK") {
                              ++ok;
                              EXPECT_EQ(record.signal_ids_size(), 1);
                            } else {
                              ++refused;
                              EXPECT_EQ(record.status_code(),
                                        "INVALID_ARGUMENT");
                            }
                            return true;
                          })
                  .ok());
  EXPECT_EQ(ok, 19);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(traces.size(), 1u);  // the stream's trace
}

TEST(SubmitBatchE2eTest, ACallerWithoutTheRightIsRefusedAsAWhole) {
  TestHub hub;
  for (const auto& [name, code] :
       std::vector<std::pair<std::string, grpc::StatusCode>>{
           {"stranger", grpc::StatusCode::UNAUTHENTICATED},
           {"ketenregisseur", grpc::StatusCode::PERMISSION_DENIED}}) {
    RawBatch batch = SendRaw(*hub.Stub(name), Signals(name, 5));
    EXPECT_EQ(batch.status.error_code(), code) << name;
    EXPECT_TRUE(batch.results.empty()) << name;
    std::vector<absl::StatusOr<v1::Receipt>> results =
        hub.Client(name)->SubmitBatch(Signals(name, 3));
    for (const auto& result : results) {
      EXPECT_EQ(static_cast<int>(result.status().code()),
                static_cast<int>(code))
          << name;
    }
  }
  v1::AuditQueryRequest query;
  query.set_operation("submit_batch");
  int refusals = 0;
  ASSERT_TRUE(hub.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            EXPECT_NE(record.status_code(), "OK");
                            ++refusals;
                            return true;
                          })
                  .ok());
  EXPECT_EQ(refusals, 4);
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 0);
}

// A stream outlives a policy reload: each signal is judged (and audited)
// under the policy in force when it arrives, not the one the stream began
// under.
TEST(SubmitBatchE2eTest, APolicyReloadTakesEffectInsideAnOpenStream) {
  testing::TempDir dir;
  const std::string policy = testing::ExamplePolicyWith(dir, {});
  TestHub hub(policy);
  auto stub = v1::SignalService::NewStub(*MakeHubChannel(hub.Options("ggd")));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto stream = stub->SubmitBatch(&context);
  uint64_t index = 0;
  auto send = [&](const v1::Signal& signal) {
    v1::SubmitBatchRequest message;
    *message.add_requests()->mutable_signal() = signal;
    EXPECT_TRUE(stream->Write(message));
    for (v1::SubmitBatchResponse response; stream->Read(&response);) {
      for (const v1::SubmitResult& result : response.results()) {
        if (result.index() == index) {
          ++index;
          return result;
        }
      }
    }
    ADD_FAILURE() << "no answer for signal " << index;
    return v1::SubmitResult();
  };
  const v1::SubmitResult before = send(ValidSignal("before-reload"));
  EXPECT_EQ(before.code(), grpc::StatusCode::OK) << before.message();

  // GGD loses its sexual-exploitation right while the stream stays open.
  const std::string grant =
      "  may_submit: [\n    CATEGORY_SEXUAL_EXPLOITATION, "
      "CATEGORY_LABOUR_EXPLOITATION,\n    CATEGORY_CRIMINAL_EXPLOITATION, "
      "CATEGORY_ORGAN_REMOVAL,\n    CATEGORY_LOVERBOY_GROOMING, "
      "CATEGORY_CONFUSED_BEHAVIOUR\n  ]\n}";
  testing::ExamplePolicyWith(
      dir, {{grant, "  may_submit: [ CATEGORY_CONFUSED_BEHAVIOUR ]\n}"}});
  grpc::ClientContext reload_context;
  v1::ReloadPolicyResponse reloaded;
  ASSERT_TRUE(
      hub.Admin()
          ->ReloadPolicy(&reload_context, v1::ReloadPolicyRequest(), &reloaded)
          .ok());

  const v1::SubmitResult denied = send(ValidSignal("after-reload"));
  EXPECT_EQ(denied.code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.message(), HasSubstr("partners.may_submit"));
  const v1::SubmitResult allowed =
      send(ValidSignal("still-allowed", v1::CATEGORY_CONFUSED_BEHAVIOUR));
  EXPECT_EQ(allowed.code(), grpc::StatusCode::OK) << allowed.message();
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // The trail names the policy each signal was judged under.
  std::vector<std::pair<std::string, std::string>> judged;  // code, version
  v1::AuditQueryRequest query;
  query.set_operation("submit");
  query.set_actor("ggd");
  ASSERT_TRUE(hub.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& record) {
                            judged.emplace_back(record.status_code(),
                                                record.policy_version());
                            return true;
                          })
                  .ok());
  ASSERT_EQ(judged.size(), 3u);
  EXPECT_EQ(judged[0].first, "OK");
  EXPECT_NE(judged[0].second, reloaded.policy_version());
  EXPECT_EQ(judged[1], std::make_pair(std::string("PERMISSION_DENIED"),
                                      reloaded.policy_version()));
  EXPECT_EQ(judged[2],
            std::make_pair(std::string("OK"), reloaded.policy_version()));
}

TEST(SubmitBatchE2eTest, AnEmptyStreamEndsWell) {
  TestHub hub;
  RawBatch batch = SendRaw(*hub.Stub("politie"), {});
  EXPECT_TRUE(batch.status.ok()) << batch.status.error_message();
  EXPECT_TRUE(batch.results.empty());
}

TEST(SubmitBatchE2eTest, ManySignalsAreStoredExactlyOnceWithProgress) {
  TestHub hub;
  constexpr int kCount = 5000;  // more than the hub holds outstanding
  size_t last_progress = 0;
  std::vector<absl::StatusOr<v1::Receipt>> results =
      hub.Client("veilig-thuis")
          ->SubmitBatch(
              Signals("many-", kCount, v1::CATEGORY_DOMESTIC_VIOLENCE),
              [&](size_t answered, size_t total) {
                EXPECT_EQ(total, static_cast<size_t>(kCount));
                EXPECT_GT(answered, last_progress);
                last_progress = answered;
              });
  EXPECT_EQ(last_progress, static_cast<size_t>(kCount));
  std::set<uint64_t> sequences;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    sequences.insert(result->sequence());
  }
  EXPECT_EQ(sequences.size(), static_cast<size_t>(kCount));
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), kCount);
}

TEST(SubmitBatchE2eTest, AStreamCancelledHalfWayLosesNothingOnceSentAgain) {
  TestHub hub;
  const std::vector<v1::Signal> signals = Signals("cut-", 400);
  {
    grpc::ClientContext context;
    auto stub = hub.Stub("politie");
    auto stream = stub->SubmitBatch(&context);
    for (const v1::Signal& signal : signals) {
      v1::SubmitBatchRequest message;
      *message.add_requests()->mutable_signal() = signal;
      if (!stream->Write(message)) break;
    }
    v1::SubmitBatchResponse response;
    EXPECT_TRUE(stream->Read(&response));  // some are answered, then
    context.TryCancel();                   // the partner goes away
    while (stream->Read(&response)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  std::vector<absl::StatusOr<v1::Receipt>> results =
      hub.Client("politie")->SubmitBatch(signals);
  for (const auto& result : results)
    ASSERT_TRUE(result.ok()) << result.status();
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 400);
}

TEST(SubmitBatchE2eTest, TheSubmitRateHoldsPerSignalAndTheClientWaits) {
  testing::TempDir dir;
  TestHub hub(testing::PolicyWithSlowPolitie(dir));  // 20/s, burst 10
  RawBatch raw = SendRaw(*hub.Stub("politie"), Signals("raw-", 30));
  ASSERT_TRUE(raw.status.ok()) << raw.status.error_message();
  ASSERT_EQ(raw.results.size(), 30u);
  int exhausted = 0;
  for (const auto& [index, result] : raw.results) {
    if (result.code() != grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    ++exhausted;
    EXPECT_GT(result.retry_after_ms(), 0u);
    EXPECT_THAT(result.message(), HasSubstr("retry after"));
  }
  EXPECT_GT(exhausted, 0);
  // The client library sends those again after the wait the hub asked for.
  std::vector<absl::StatusOr<v1::Receipt>> results =
      hub.Client("politie")->SubmitBatch(Signals("waits-", 30));
  for (const auto& result : results)
    ASSERT_TRUE(result.ok()) << result.status();
}

// Overwrites every idempotency record in the hub's data folder (hub
// stopped) with bytes that are no record.
void SpoilIdempotencyRecords(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(data_dir + "/db");
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::DB* raw = (*db)->db();
  std::unique_ptr<rocksdb::Iterator> it(
      raw->NewIterator(rocksdb::ReadOptions(), (*db)->idempotency()));
  int spoiled = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++spoiled) {
    ASSERT_TRUE(raw->Put(Database::SyncWrite(), (*db)->idempotency(), it->key(),
                         std::string("\xff\xff\xff", 3))
                    .ok());
  }
  EXPECT_GT(spoiled, 0);
}

// A batch answer goes through the same mapping as a unary call's status: a
// storage fault reaches the partner as a bare INTERNAL "internal error",
// never as DATA_LOSS with the hub's own words.
TEST(SubmitBatchE2eTest, AnAnswerSaysNoMoreThanAUnaryCallWould) {
  TestHub hub;
  const std::vector<v1::Signal> signals = Signals("spoil-", 1);
  ASSERT_EQ(SendRaw(*hub.Stub("politie"), signals).results.at(0).code(), 0);
  hub.Shutdown();
  ASSERT_NO_FATAL_FAILURE(SpoilIdempotencyRecords(hub.data_dir()));
  hub.Restart();
  RawBatch batch = SendRaw(*hub.Stub("politie"), signals);
  EXPECT_TRUE(batch.status.ok()) << batch.status.error_message();
  ASSERT_EQ(batch.results.size(), 1u);
  EXPECT_EQ(batch.results.at(0).code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(batch.results.at(0).message(), "internal error");
  grpc::ClientContext context;
  v1::SubmitRequest request;
  *request.mutable_signal() = signals[0];
  v1::Receipt receipt;
  const grpc::Status unary =
      hub.Stub("politie")->Submit(&context, request, &receipt);
  EXPECT_EQ(unary.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(unary.error_message(), batch.results.at(0).message());
}

}  // namespace
}  // namespace ketenhub
