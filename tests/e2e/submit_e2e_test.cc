// End to end: the real hub over real mutual TLS on loopback, certificates
// generated for this run, RocksDB in a temporary folder.
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
#include "server/service/hub.h"
#include "tests/testing/failing_file_system.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;
using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

class SubmitE2eTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::Receipt> SubmitAs(const std::string& name,
                                       const v1::Signal& signal) {
    return hub_.Client(name)->Submit(signal);
  }

  TestHub hub_;
};

TEST_F(SubmitE2eTest, EachPartnerSubmitsAndFindsItsSignal) {
  const std::vector<std::pair<std::string, v1::Category>> partners = {
      {"politie", v1::CATEGORY_SEXUAL_EXPLOITATION},
      {"ggd", v1::CATEGORY_LABOUR_EXPLOITATION},
      {"veilig-thuis", v1::CATEGORY_DOMESTIC_VIOLENCE},
      {"gemeente-hilversum", v1::CATEGORY_CONFUSED_BEHAVIOUR}};
  for (const auto& [name, category] : partners) {
    std::unique_ptr<SignalClient> client = hub_.Client(name);
    absl::StatusOr<v1::Receipt> receipt =
        client->Submit(ValidSignal(name + "-1", category));
    ASSERT_TRUE(receipt.ok()) << name << ": " << receipt.status();
    absl::StatusOr<v1::SignalStatus> status =
        client->GetStatus(receipt->signal_id());
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->client_ref(), name + "-1");
    EXPECT_EQ(status->category(), category);
    EXPECT_EQ(status->state(), v1::SIGNAL_STATE_RECEIVED);
    EXPECT_EQ(status->policy_version().size(), 64u);
  }
}

TEST_F(SubmitE2eTest, ClientGeneratesClientRefWhenMissing) {
  v1::Signal signal = ValidSignal("");
  absl::StatusOr<v1::Receipt> receipt = SubmitAs("politie", signal);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_THAT(receipt->client_ref(), ::testing::StartsWith("kh-"));
}

// A Submit over a plain gRPC channel, past the client library's checks,
// with dev identity `name` (none when empty): the hub's answer.
grpc::StatusCode RawSubmit(const std::string& target, const std::string& name) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ReadFileToString(PkiFile("ca.pem"));
  if (!name.empty()) {
    ssl.pem_cert_chain = *ReadFileToString(PkiFile(name + ".pem"));
    ssl.pem_private_key = *ReadFileToString(PkiFile(name + "-key.pem"));
  }
  auto stub = v1::SignalService::NewStub(
      grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::SubmitRequest request;
  *request.mutable_signal() = ValidSignal("raw-" + name);
  v1::Receipt receipt;
  return stub->Submit(&context, request, &receipt).error_code();
}

TEST_F(SubmitE2eTest, ConnectionWithoutClientCertificateFails) {
  EXPECT_EQ(RawSubmit(hub_.target(), ""), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SubmitE2eTest, CertificateFromOtherCaFails) {
  EXPECT_EQ(SubmitAs("outsider", ValidSignal("x")).status().code(),
            absl::StatusCode::kUnavailable);
}

// The hub refuses an expired certificate in the handshake; the client
// library sees it before connecting and says so, instead of the network
// fault (UNAVAILABLE) the handshake looks like.
TEST_F(SubmitE2eTest, ExpiredCertificateFails) {
  absl::Status status = SignalClient::Connect(hub_.Options("expired")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("expired.pem expired on 2025-01-01 00:00 UTC"));

  // Past the library, the hub refuses it too.
  EXPECT_EQ(RawSubmit(hub_.target(), "expired"), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SubmitE2eTest, AKeyOfAnotherCertificateIsNamedBeforeConnecting) {
  ClientOptions options = hub_.Options("politie");
  options.key_file = PkiFile("ggd-key.pem");
  absl::Status status = SignalClient::Connect(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("ggd-key.pem does not belong to the certificate"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("politie.pem"));
}

TEST_F(SubmitE2eTest, UnknownOinIsUnauthenticated) {
  absl::Status status = SubmitAs("stranger", ValidSignal("x")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("not in the partner registry"));
}

TEST_F(SubmitE2eTest, CertificateWithoutOinIsUnauthenticated) {
  EXPECT_EQ(SubmitAs("no-oin", ValidSignal("x")).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(SubmitE2eTest, ForbiddenCategoryIsPermissionDenied) {
  absl::Status status =
      SubmitAs("ggd", ValidSignal("x", v1::CATEGORY_DOMESTIC_VIOLENCE))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("may not submit CATEGORY_DOMESTIC_VIOLENCE"));
}

TEST_F(SubmitE2eTest, PartnerWithoutSubmitterRoleIsPermissionDenied) {
  absl::Status status = SubmitAs("ketenregisseur", ValidSignal("x")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("ROLE_SUBMITTER"));
}

TEST_F(SubmitE2eTest, InvalidBsnIsRefusedAndNothingIsStored) {
  v1::Signal bad = ValidSignal("ref-1");
  bad.mutable_subject()->set_bsn("999990018");
  absl::Status status = SubmitAs("politie", bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("subject.bsn"));
  // The refused ref is still free and no sequence number was used.
  absl::StatusOr<v1::Receipt> receipt =
      SubmitAs("politie", ValidSignal("ref-1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->sequence(), 1u);
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 1);
}

TEST_F(SubmitE2eTest, MissingSignalIsInvalidArgument) {
  grpc::ClientContext context;
  v1::Receipt receipt;
  grpc::Status status =
      hub_.Stub("politie")->Submit(&context, v1::SubmitRequest(), &receipt);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "signal: required");
}

TEST_F(SubmitE2eTest, OversizedMessageIsResourceExhausted) {
  v1::Signal huge = ValidSignal("huge");
  huge.set_summary(std::string(300 * 1024, 'x'));
  EXPECT_EQ(SubmitAs("politie", huge).status().code(),
            absl::StatusCode::kResourceExhausted);
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 0);
}

TEST_F(SubmitE2eTest, ReplayReturnsOriginalReceipt) {
  v1::Receipt first = *SubmitAs("politie", ValidSignal("ref-1"));
  v1::Receipt again = *SubmitAs("politie", ValidSignal("ref-1"));
  EXPECT_EQ(again.signal_id(), first.signal_id());
  EXPECT_EQ(again.sequence(), first.sequence());
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 1);
}

TEST_F(SubmitE2eTest, ReplayWithOtherContentIsAlreadyExists) {
  ASSERT_TRUE(SubmitAs("politie", ValidSignal("ref-1")).ok());
  v1::Signal changed = ValidSignal("ref-1");
  changed.set_urgency(v1::URGENCY_ACUTE);
  EXPECT_EQ(SubmitAs("politie", changed).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SubmitE2eTest, OtherPartnersSignalIsNotFound) {
  v1::Receipt receipt = *SubmitAs("politie", ValidSignal("ref-1"));
  absl::Status other =
      hub_.Client("ggd")->GetStatus(receipt.signal_id()).status();
  absl::Status missing = hub_.Client("ggd")
                             ->GetStatus("00000000-0000-4000-8000-000000000000")
                             .status();
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(other, missing);  // indistinguishable
}

TEST_F(SubmitE2eTest, ReceiptedSignalSurvivesRestart) {
  v1::Receipt receipt = *SubmitAs("politie", ValidSignal("ref-1"));
  hub_.Restart();
  absl::StatusOr<v1::SignalStatus> status =
      hub_.Client("politie")->GetStatus(receipt.signal_id());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->sequence(), receipt.sequence());
  EXPECT_EQ(SubmitAs("politie", ValidSignal("ref-1"))->signal_id(),
            receipt.signal_id());
  EXPECT_EQ(SubmitAs("politie", ValidSignal("ref-2"))->sequence(), 2u);
}

TEST_F(SubmitE2eTest, ConcurrentSubmitsFromFourPartnersAreAllStored) {
  const std::vector<std::string> partners = {"politie", "ggd", "veilig-thuis",
                                             "gemeente-hilversum"};
  constexpr int kPerPartner = 50;
  std::vector<std::future<std::vector<v1::Receipt>>> results;
  for (const std::string& partner : partners) {
    for (int worker = 0; worker < 5; ++worker) {
      results.push_back(std::async(std::launch::async, [&, partner, worker] {
        // As a partner system would: retries cure transient connect failures.
        std::unique_ptr<SignalClient> client = hub_.Client(partner, 5);
        std::vector<v1::Receipt> receipts;
        for (int i = worker; i < kPerPartner; i += 5) {
          auto receipt = client->Submit(ValidSignal(
              absl::StrCat(partner, "-", i), v1::CATEGORY_SEXUAL_EXPLOITATION,
              testing::TestBsns()[i % 8]));
          EXPECT_TRUE(receipt.ok()) << receipt.status();
          if (receipt.ok()) receipts.push_back(*receipt);
        }
        return receipts;
      }));
    }
  }
  std::vector<std::pair<std::string, std::string>> stored;  // partner, id
  std::set<std::string> ids;
  std::set<uint64_t> sequences;
  for (size_t i = 0; i < results.size(); ++i) {
    for (const v1::Receipt& r : results[i].get()) {
      stored.emplace_back(partners[i / 5], r.signal_id());
      ids.insert(r.signal_id());
      sequences.insert(r.sequence());
    }
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(sequences.size(), 200u);
  hub_.Restart();
  for (const auto& [partner, id] : stored) {
    EXPECT_TRUE(hub_.Client(partner)->GetStatus(id).ok())
        << partner << " " << id;
  }
  hub_.Shutdown();
  EXPECT_EQ(hub_.CountStoredSignals(), 200);
}

// The hub's gRPC health status for `service` ("" for the whole hub): the
// serialized HealthCheckResponse, or the call's error code as text.
std::string HealthOf(const std::string& target, const std::string& service) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_cert_chain = *ReadFileToString(PkiFile("operator.pem"));
  ssl.pem_private_key = *ReadFileToString(PkiFile("operator-key.pem"));
  ssl.pem_root_certs = *ReadFileToString(PkiFile("ca.pem"));
  grpc::GenericStub stub(
      grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
  grpc::ClientContext context;
  // HealthCheckRequest { string service = 1; }, encoded by hand.
  std::string encoded;
  if (!service.empty()) {
    encoded =
        std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  }
  grpc::Slice slice(encoded);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return absl::StrCat("error ", status.error_code());
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "unreadable";
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

// Waits for the one operation in flight on `queue`; its ok flag.
bool Await(grpc::CompletionQueue& queue) {
  void* tag;
  bool ok = false;
  return queue.Next(&tag, &ok) && ok;
}

// A load balancer that watches health sees NOT_SERVING as soon as the hub
// begins to shut down, while calls in flight still drain.
TEST(HealthE2eTest, AWatcherSeesNotServingWhenShutdownBegins) {
  testing::TestHub hub;
  grpc::GenericStub stub(*MakeHubChannel(hub.Options("operator")));
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  auto call =
      stub.PrepareCall(&context, "/grpc.health.v1.Health/Watch", &queue);
  call->StartCall(nullptr);
  ASSERT_TRUE(Await(queue));
  grpc::Slice empty("");  // the whole hub
  grpc::ByteBuffer request(&empty, 1), update;
  call->Write(request, nullptr);
  ASSERT_TRUE(Await(queue));
  call->Read(&update, nullptr);
  ASSERT_TRUE(Await(queue));
  EXPECT_EQ(BytesOf(update), std::string("\x08\x01", 2));  // SERVING

  std::thread stopping([&hub] { hub.Shutdown(); });
  call->Read(&update, nullptr);
  const bool got_update = Await(queue);
  EXPECT_TRUE(got_update);
  if (got_update) {
    EXPECT_EQ(BytesOf(update), std::string("\x08\x02", 2));  // NOT_SERVING
  }
  context.TryCancel();
  stopping.join();
  grpc::Status status;
  call->Finish(&status, nullptr);
  Await(queue);
  queue.Shutdown();
  void* tag;
  bool ok;
  while (queue.Next(&tag, &ok)) {
  }
}

// Storage that stops taking writes (a failing or full disk) turns the hub
// NOT_SERVING, so a load balancer stops sending. After a failed write-ahead
// log write RocksDB stays read-only, so the hub stays NOT_SERVING until it is
// restarted on working storage; nothing acknowledged is lost.
TEST(HealthE2eTest, StorageRefusingWritesMakesTheHubNotServing) {
  auto storage = testing::StartHubOverFailingStorage();
  ASSERT_TRUE(storage.ok()) << storage.status();
  std::unique_ptr<Hub>& hub = (*storage)->hub;
  testing::FailingFileSystem* file_system = (*storage)->file_system.get();
  const std::string target = absl::StrCat("127.0.0.1:", hub->port());
  const std::string serving("\x08\x01", 2);
  const std::string not_serving("\x08\x02", 2);
  auto health_becomes = [&](const std::string& wanted) {
    for (int i = 0; i < 50; ++i) {
      if (HealthOf(target, "ketenhub.v1.SignalService") == wanted) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  };
  auto client = *SignalClient::Connect(
      testing::ClientOptionsFor("politie", hub->port(), 1));
  absl::StatusOr<v1::Receipt> before = client->Submit(ValidSignal("before"));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(HealthOf(target, "ketenhub.v1.SignalService"), serving);

  file_system->SetFailing(true);
  EXPECT_EQ(client->Submit(ValidSignal("during")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(health_becomes(not_serving));
  EXPECT_EQ(HealthOf(target, ""), not_serving);
  EXPECT_EQ(HealthOf(target, "ketenhub.v1.AuditService"), not_serving);
  file_system->SetFailing(false);
  absl::SleepFor(absl::Seconds(2));  // probes run, RocksDB stays read-only
  EXPECT_EQ(HealthOf(target, "ketenhub.v1.SignalService"), not_serving);
  hub->Shutdown();
  hub.reset();

  absl::StatusOr<std::unique_ptr<Hub>> restarted = Hub::Start(
      testing::TestHubConfig((*storage)->dir.path() + "/data"));  // working
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  hub = *std::move(restarted);
  client = *SignalClient::Connect(
      testing::ClientOptionsFor("politie", hub->port(), 1));
  EXPECT_EQ(HealthOf(absl::StrCat("127.0.0.1:", hub->port()),
                     "ketenhub.v1.SignalService"),
            serving);
  absl::StatusOr<v1::SignalStatus> kept =
      client->GetStatus(before->signal_id());
  EXPECT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(client->Submit(ValidSignal("after")).ok());
  hub->Shutdown();
}

// Every start is recorded before the hub serves: when that record cannot be
// written, the hub does not start (fail closed), and starts once it can.
TEST(HealthE2eTest, AStartThatCannotBeRecordedDoesNotHappen) {
  testing::TempDir dir;
  const v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  {
    absl::StatusOr<std::unique_ptr<Hub>> first = Hub::Start(config);
    ASSERT_TRUE(first.ok()) << first.status();
    (*first)->Shutdown();
  }
  auto file_system = std::make_shared<testing::FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = testing::EnvOver(file_system);
  file_system->SetFailing(true);
  absl::StatusOr<std::unique_ptr<Hub>> refused = Hub::Start(config, env.get());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("audit trail"));
  absl::StatusOr<std::unique_ptr<Hub>> started = Hub::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  (*started)->Shutdown();
}

// A full disk that fails a flush (not the write-ahead log) is one RocksDB
// can resume from: the hub turns NOT_SERVING while writes are refused, and
// once there is room again its storage probe resumes RocksDB and the hub is
// SERVING again, without a restart and without losing what it acknowledged.
TEST(HealthE2eTest, AFullDiskThatClearsMakesTheHubServingAgain) {
  auto storage = testing::StartHubOverFailingStorage();
  ASSERT_TRUE(storage.ok()) << storage.status();
  std::unique_ptr<Hub>& hub = (*storage)->hub;
  const std::string target = absl::StrCat("127.0.0.1:", hub->port());
  const std::string serving("\x08\x01", 2);
  const std::string not_serving("\x08\x02", 2);
  auto health_becomes = [&](const std::string& wanted) {
    for (int i = 0; i < 100; ++i) {
      if (HealthOf(target, "ketenhub.v1.SignalService") == wanted) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  };
  auto client = *SignalClient::Connect(
      testing::ClientOptionsFor("politie", hub->port(), 1));
  const std::string bsn = testing::TestBsns()[3];
  absl::StatusOr<v1::Receipt> before = client->Submit(
      ValidSignal("full-before", v1::CATEGORY_SEXUAL_EXPLOITATION, bsn));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(HealthOf(target, "ketenhub.v1.SignalService"), serving);

  // An erasure flushes the memtables at once (crypto-shredding): the flush
  // hits the full disk.
  (*storage)->file_system->SetTablesFull(true);
  auto admin = v1::AdminService::NewStub(
      *MakeHubChannel(testing::ClientOptionsFor("operator", hub->port(), 1)));
  v1::EraseSubjectRequest erase;
  erase.mutable_subject()->set_bsn(bsn);
  absl::StatusOr<std::string> approved = testing::ApprovedSubjectRequest(
      hub->port(), v1::SUBJECT_REQUEST_ERASE, erase.subject());
  ASSERT_TRUE(approved.ok()) << approved.status();
  erase.set_request_id(*approved);
  v1::EraseSubjectResponse erased;
  grpc::ClientContext context;
  ASSERT_TRUE(admin->EraseSubject(&context, erase, &erased).ok());
  // Once the background flush has failed, RocksDB refuses writes.
  absl::Status refused;
  for (int i = 0; i < 100 && refused.ok(); ++i) {
    refused =
        client->Submit(ValidSignal(absl::StrCat("full-during-", i))).status();
    if (refused.ok()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_TRUE(health_becomes(not_serving));

  (*storage)->file_system->SetTablesFull(false);
  EXPECT_TRUE(health_becomes(serving));
  EXPECT_TRUE(client->Submit(ValidSignal("full-after")).ok());
  absl::StatusOr<v1::SignalStatus> kept =
      client->GetStatus(before->signal_id());
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->state(), v1::SIGNAL_STATE_DESTROYED);
  hub->Shutdown();
}

// Two hubs on one port would split the partners' connections between two
// stores; the second must refuse to start instead.
TEST(ListenE2eTest, ASecondHubOnTheSamePortDoesNotStart) {
  testing::TestHub first;
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.set_listen_address(first.target());
  absl::StatusOr<std::unique_ptr<Hub>> second = Hub::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("listen_address: cannot listen"));
  EXPECT_TRUE(first.Client("politie")->Submit(ValidSignal("still-one")).ok());
}

// Nor may a second hub share the first one's metrics port: scrapes would
// alternate between the two. It refuses to start, naming metrics_address.
TEST(ListenE2eTest, ASecondHubOnTheSameMetricsPortDoesNotStart) {
  testing::TempDir dirs;
  v1::HubConfig config = testing::TestHubConfig(dirs.path() + "/one");
  config.set_metrics_address("127.0.0.1:0");
  absl::StatusOr<std::unique_ptr<Hub>> first = Hub::Start(config);
  ASSERT_TRUE(first.ok()) << first.status();
  v1::HubConfig other = testing::TestHubConfig(dirs.path() + "/two");
  other.set_metrics_address(
      absl::StrCat("127.0.0.1:", (*first)->metrics_port()));
  absl::StatusOr<std::unique_ptr<Hub>> second = Hub::Start(other);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("metrics_address: cannot listen"));
  (*first)->Shutdown();
}

TEST_F(SubmitE2eTest, HealthServiceReportsServing) {
  const std::string serving("\x08\x01", 2);  // status: SERVING
  EXPECT_EQ(HealthOf(hub_.target(), ""), serving);
  for (const char* service :
       {"ketenhub.v1.SignalService", "ketenhub.v1.ChainDirectorService",
        "ketenhub.v1.AdminService", "ketenhub.v1.AuditService"}) {
    EXPECT_EQ(HealthOf(hub_.target(), service), serving) << service;
  }
  EXPECT_EQ(HealthOf(hub_.target(), "ketenhub.v1.NoSuchService"),
            "error 5");  // NOT_FOUND
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

TEST(RevocationE2eTest, RevokedCertificateIsRefusedAndAudited) {
  testing::TestHub hub;
  absl::StatusOr<v1::Receipt> receipt =
      hub.Client("revoked")->Submit(testing::ValidSignal("rev-1"));
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(receipt.status().message(), ::testing::HasSubstr("revoked"));
  std::vector<v1::AuditRecord> refused;
  v1::AuditQueryRequest query;
  query.set_outcome(v1::AUDIT_OUTCOME_REFUSED);
  ASSERT_TRUE(hub.Auditor()
                  ->Query(query,
                          [&](const v1::AuditRecord& r) {
                            refused.push_back(r);
                            return true;
                          })
                  .ok());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status_rule(), "client certificate is revoked");
  EXPECT_EQ(refused[0].actor_oin(), "00000099000000000001");
  EXPECT_EQ(refused[0].peer_certificate_sha256().size(), 64u);
}

TEST(RevocationE2eTest, OutOfDateListRefusesEveryCaller) {
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.mutable_tls()->clear_crl_files();
  config.mutable_tls()->add_crl_files(testing::PkiFile("crl-stale.pem"));
  absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
  ASSERT_TRUE(hub.ok()) << hub.status();
  ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", (*hub)->port());
  options.cert_file = testing::PkiFile("politie.pem");
  options.key_file = testing::PkiFile("politie-key.pem");
  options.ca_file = testing::PkiFile("ca.pem");
  options.max_attempts = 1;
  absl::StatusOr<v1::Receipt> receipt =
      (*SignalClient::Connect(options))->Submit(testing::ValidSignal("s-1"));
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(receipt.status().message(), ::testing::HasSubstr("out of date"));
  // A load balancer sees that the hub serves no one.
  const std::string target = absl::StrCat("127.0.0.1:", (*hub)->port());
  EXPECT_EQ(HealthOf(target, ""), std::string("\x08\x02", 2));
  EXPECT_EQ(HealthOf(target, "ketenhub.v1.SignalService"),
            std::string("\x08\x02", 2));
}

TEST(RevocationE2eTest, UntrustedListStopsTheHubFromStarting) {
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.mutable_tls()->add_crl_files(testing::PkiFile("outsider-crl.pem"));
  absl::Status status = Hub::Start(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("tls.crl_files[1]"));
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

TEST(LimitsE2eTest, AFloodingPartnerIsSlowedAndTheOthersAreNot) {
  testing::TempDir dir;
  testing::TestHub hub(testing::PolicyWithSlowPolitie(dir));
  auto stub = hub.Stub("politie");
  int accepted = 0;
  int exhausted = 0;
  std::string retry_after;
  for (int i = 0; i < 40; ++i) {  // as fast as it can: far above 20/s
    grpc::ClientContext context;
    v1::SubmitRequest request;
    *request.mutable_signal() = testing::ValidSignal(absl::StrCat("f", i));
    v1::Receipt receipt;
    grpc::Status status = stub->Submit(&context, request, &receipt);
    if (status.ok()) ++accepted;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(status.error_message(), ::testing::HasSubstr("retry after"));
      auto hint = context.GetServerTrailingMetadata().find("retry-after-ms");
      ASSERT_NE(hint, context.GetServerTrailingMetadata().end());
      retry_after = std::string(hint->second.data(), hint->second.size());
    }
  }
  EXPECT_GE(accepted, 10);  // the burst, plus what 20/s refills meanwhile
  EXPECT_LT(accepted, 40);
  EXPECT_EQ(accepted + exhausted, 40);
  EXPECT_FALSE(retry_after.empty());
  auto ggd = hub.Client("ggd");
  for (int i = 0; i < 40; ++i)
    EXPECT_TRUE(ggd->Submit(testing::ValidSignal(absl::StrCat("g", i))).ok());
}

TEST(LimitsE2eTest, APartnerMayOpenOnlySoManyStreams) {
  testing::TempDir dir;
  testing::TestHub hub(testing::PolicyWithSlowPolitie(dir));
  auto stub = v1::ChainDirectorService::NewStub(
      *MakeHubChannel(hub.Options("ketenregisseur")));
  // Three at once, each with a deadline: the hub serves two (they end at
  // their deadline) and refuses one, whichever it sees last.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Event>>> streams;
  for (int i = 0; i < 3; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() +
                                  std::chrono::seconds(2));
    streams.push_back(
        stub->Subscribe(contexts.back().get(), v1::SubscribeRequest()));
  }
  std::vector<grpc::Status> statuses(streams.size());
  std::vector<std::thread> readers;  // each stream read as it goes
  for (size_t i = 0; i < streams.size(); ++i) {
    readers.emplace_back([&, i] {
      v1::Event event;
      while (streams[i]->Read(&event)) {
      }
      statuses[i] = streams[i]->Finish();
    });
  }
  for (std::thread& reader : readers) reader.join();
  std::multiset<grpc::StatusCode> codes;
  for (const grpc::Status& status : statuses) {
    codes.insert(status.error_code());
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      EXPECT_THAT(status.error_message(),
                  ::testing::HasSubstr("max_streams_per_partner"));
    }
  }
  v1::Event event;
  EXPECT_EQ(codes.count(grpc::StatusCode::RESOURCE_EXHAUSTED), 1u);
  EXPECT_EQ(codes.count(grpc::StatusCode::DEADLINE_EXCEEDED), 2u);
  // Closed streams free their places (once the hub has seen them end): a
  // new stream is then served until its deadline.
  grpc::StatusCode code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  for (int attempt = 0;
       attempt < 20 && code == grpc::StatusCode::RESOURCE_EXHAUSTED;
       ++attempt) {
    grpc::ClientContext again;
    again.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(300));
    auto next = stub->Subscribe(&again, v1::SubscribeRequest());
    while (next->Read(&event)) {
    }
    code = next->Finish().error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::DEADLINE_EXCEEDED);
}

// A SubmitRequest whose summary holds bytes that are no UTF-8, as a client
// that does not check its strings would send it.
std::string SubmitWithSummaryNotUtf8() {
  v1::SubmitRequest request;
  *request.mutable_signal() = ValidSignal("utf8-1");
  request.mutable_signal()->set_summary("@@@@");
  std::string bytes = request.SerializeAsString();
  bytes.replace(bytes.find("@@@@"), 4, "\xff\xfe\xc3\x28");
  return bytes;
}

// What a foreign client sends that is not a message of the call's type is
// refused INVALID_ARGUMENT naming the field, never a bare UNIMPLEMENTED; and
// nothing is stored.
TEST(MalformedRequestE2eTest, BytesThatAreNoRequestAreRefusedNamingTheField) {
  TestHub hub;
  const ClientOptions politie = hub.Options("politie");
  const grpc::Status not_utf8 = testing::RawUnaryCall(
      politie, "/ketenhub.v1.SignalService/Submit", SubmitWithSummaryNotUtf8());
  EXPECT_EQ(not_utf8.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(not_utf8.error_message(),
            "Signal.summary: not valid UTF-8 (text fields must be UTF-8)");

  const grpc::Status garbage = testing::RawUnaryCall(
      politie, "/ketenhub.v1.SignalService/GetStatus", "\xff\xff\xff\xff");
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(garbage.error_message(),
            "request: not a valid ketenhub.v1.GetStatusRequest message");

  const grpc::Status director = testing::RawUnaryCall(
      hub.Options("ketenregisseur"), "/ketenhub.v1.ChainDirectorService/Decide",
      "\x0a\x02\xc3\x28");  // signal_id, not UTF-8
  EXPECT_EQ(director.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(director.error_message(),
            "DecideRequest.signal_id: not valid UTF-8 (text fields must be "
            "UTF-8)");
  // Identity still comes first.
  EXPECT_EQ(testing::RawUnaryCall(hub.Options("ggd"),
                                  "/ketenhub.v1.AdminService/Backup",
                                  "\xff\xff\xff\xff")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 0);
}

// A SubmitBatch stream whose second message cannot be parsed answers the
// first signal and then fails, naming the message; it never ends OK with a
// signal unanswered.
TEST(MalformedRequestE2eTest, ABatchStreamWithABadMessageFailsNamingIt) {
  TestHub hub;
  grpc::GenericStub stub(*MakeHubChannel(hub.Options("politie")));
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto call = stub.PrepareCall(
      &context, "/ketenhub.v1.SignalService/SubmitBatch", &queue);
  call->StartCall(nullptr);
  ASSERT_TRUE(Await(queue));
  v1::SubmitBatchRequest first;
  *first.add_requests()->mutable_signal() = ValidSignal("batch-good-1");
  grpc::Slice good(first.SerializeAsString());
  grpc::ByteBuffer message(&good, 1);
  call->Write(message, nullptr);
  ASSERT_TRUE(Await(queue));
  grpc::Slice bad(std::string("\x0a\x05\xff\xff\xff\xff\xff", 7));
  grpc::ByteBuffer spoiled(&bad, 1);
  call->Write(spoiled, nullptr);
  Await(queue);  // the hub may already have ended the stream
  call->WritesDone(nullptr);
  Await(queue);
  std::map<uint64_t, int> answers;
  grpc::ByteBuffer read;
  for (;;) {
    call->Read(&read, nullptr);
    if (!Await(queue)) break;
    v1::SubmitBatchResponse response;
    ASSERT_TRUE(response.ParseFromString(BytesOf(read)));
    for (const v1::SubmitResult& result : response.results())
      answers[result.index()] = result.code();
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  Await(queue);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("message 1 of the stream"));
  EXPECT_EQ(answers, (std::map<uint64_t, int>{{0, 0}}));
  queue.Shutdown();
  void* tag;
  bool ok;
  while (queue.Next(&tag, &ok)) {
  }
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 1);
}

}  // namespace
}  // namespace ketenhub
