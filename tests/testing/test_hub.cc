#include "tests/testing/test_hub.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/common/text_proto.h"
#include "server/storage/keys.h"

namespace ketenhub::testing {

std::string PkiFile(const std::string& name) {
  return absl::StrCat(KETENHUB_TEST_PKI_DIR, "/", name);
}

std::vector<std::string> FilesHolding(const std::string& dir,
                                      const std::string& secret) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes =
        ReadFileToString(entry.path().string()).value_or("");
    if (bytes.find(secret) != std::string::npos)
      found.push_back(entry.path().string());
  }
  return found;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ketenhub-XXXXXX").string();
  path_ = mkdtemp(pattern.data());
}

TempDir::~TempDir() { std::filesystem::remove_all(path_); }

v1::HubConfig TestHubConfig(const std::string& data_dir) {
  v1::HubConfig config;
  config.set_listen_address("127.0.0.1:0");
  config.mutable_tls()->set_cert_file(PkiFile("hub.pem"));
  config.mutable_tls()->set_key_file(PkiFile("hub-key.pem"));
  config.mutable_tls()->set_ca_file(PkiFile("ca.pem"));
  config.mutable_tls()->add_crl_files(PkiFile("crl.pem"));
  config.set_policy_file(
      absl::StrCat(KETENHUB_SOURCE_DIR, "/deploy/policy-example.textproto"));
  config.set_data_dir(data_dir);
  config.mutable_limits()->set_max_message_bytes(256 * 1024);
  config.mutable_limits()->set_max_summary_bytes(4000);
  config.mutable_limits()->set_max_sections(20);
  config.mutable_limits()->set_max_section_bytes(16000);
  config.mutable_commit()->set_max_group_size(256);
  return config;
}

TestHub::TestHub(std::string policy_file)
    : data_dir_(dir_.path() + "/data"), policy_file_(std::move(policy_file)) {
  Start();
}

TestHub::~TestHub() { Shutdown(); }

void TestHub::Start() {
  if (absl::Status started = TryStart(); !started.ok())
    ADD_FAILURE() << "hub did not start: " << started;
}

absl::Status TestHub::TryStart(const Hub::Overrides& overrides) {
  v1::HubConfig config = TestHubConfig(data_dir_);
  if (!policy_file_.empty()) config.set_policy_file(policy_file_);
  if (port_ != 0) config.set_listen_address(absl::StrCat("127.0.0.1:", port_));
  absl::StatusOr<std::unique_ptr<Hub>> hub =
      Hub::Start(config, nullptr, overrides);
  if (!hub.ok()) return hub.status();
  hub_ = *std::move(hub);
  port_ = hub_->port();
  return absl::OkStatus();
}

void TestHub::Shutdown() {
  if (hub_) hub_->Shutdown();
  hub_.reset();
}

void TestHub::Restart() {
  Shutdown();
  Start();
}

std::string TestHub::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::StatusOr<std::unique_ptr<HubOverFailingStorage>>
StartHubOverFailingStorage() {
  auto started = std::make_unique<HubOverFailingStorage>();
  started->file_system = std::make_shared<FailingFileSystem>();
  started->env = EnvOver(started->file_system);
  absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(
      TestHubConfig(started->dir.path() + "/data"), started->env.get());
  if (!hub.ok()) return hub.status();
  started->hub = *std::move(hub);
  return started;
}

ClientOptions ClientOptionsFor(const std::string& name, int port,
                               int max_attempts) {
  ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.cert_file = PkiFile(name + ".pem");
  options.key_file = PkiFile(name + "-key.pem");
  options.ca_file = PkiFile("ca.pem");
  options.max_attempts = max_attempts;
  // The people behind the dev organisations whose calls the example policy
  // wants a person for (person_rules); partner systems name no one.
  if (absl::StartsWith(name, "ketenregisseur")) {
    options.user_id = "regisseur-1";
    options.user_role = "procesregisseur";
  } else if (absl::StartsWith(name, "zorgcoordinator")) {
    options.user_id = "zorg-1";
    options.user_role = "zorgcoordinator mensenhandel";
  } else if (absl::StartsWith(name, "auditor")) {
    options.user_id = "privacy-1";
    options.user_role = "privacy officer";
  } else if (absl::StartsWith(name, "operator")) {
    options.user_id = "beheer-1";
    options.user_role = "applicatiebeheerder";
  }
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(500);
  return options;
}

ClientOptions TestHub::Options(const std::string& name,
                               int max_attempts) const {
  return ClientOptionsFor(name, port_, max_attempts);
}

std::unique_ptr<SignalClient> TestHub::Client(const std::string& name,
                                              int max_attempts) {
  absl::StatusOr<std::unique_ptr<SignalClient>> client =
      SignalClient::Connect(Options(name, max_attempts));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::unique_ptr<ChainDirectorClient> TestHub::ChainDirector(
    const std::string& name) {
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> client =
      ChainDirectorClient::Connect(Options(name, 5));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::unique_ptr<AuditClient> TestHub::Auditor(const std::string& name) {
  absl::StatusOr<std::unique_ptr<AuditClient>> client =
      AuditClient::Connect(Options(name, 5));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::unique_ptr<v1::AuditService::Stub> TestHub::AuditStub(
    const std::string& name) {
  return v1::AuditService::NewStub(*MakeHubChannel(Options(name)));
}

std::string TestHub::AuditPublicKey() const {
  absl::StatusOr<std::string> pem =
      ReadFileToString(data_dir_ + "/keys/audit-signing.pub");
  EXPECT_TRUE(pem.ok()) << pem.status();
  return pem.ok() ? *pem : "";
}

std::unique_ptr<v1::AdminService::Stub> TestHub::Admin(
    const std::string& name) {
  return v1::AdminService::NewStub(*MakeHubChannel(Options(name)));
}

std::unique_ptr<v1::SignalService::Stub> TestHub::Stub(
    const std::string& name) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_cert_chain = *ReadFileToString(PkiFile(name + ".pem"));
  ssl.pem_private_key = *ReadFileToString(PkiFile(name + "-key.pem"));
  ssl.pem_root_certs = *ReadFileToString(PkiFile("ca.pem"));
  return v1::SignalService::NewStub(
      grpc::CreateChannel(target(), grpc::SslCredentials(ssl)));
}

int TestHub::CountStoredSignals() const {
  return CountStoredSignalsIn(data_dir_);
}

int TestHub::CountStoredSignalsIn(const std::string& data_dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<std::string> names;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir + "/db",
                                  &names);
  for (const std::string& name : names)
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(
      rocksdb::DBOptions(), data_dir + "/db", families, &handles, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return -1;
  int count = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != storage_keys::kSignals) continue;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles)
    db->DestroyColumnFamilyHandle(handle);
  delete db;
  return count;
}

namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace

std::unique_ptr<v1::SubjectRequestService::Stub> TestHub::SubjectRequests(
    const std::string& name) {
  return v1::SubjectRequestService::NewStub(*MakeHubChannel(Options(name)));
}

absl::StatusOr<std::string> ApprovedSubjectRequest(int port,
                                                   v1::SubjectRequestKind kind,
                                                   const v1::Subject& subject,
                                                   const std::string& reason) {
  auto stub = [port](const std::string& name) {
    return v1::SubjectRequestService::NewStub(
        *MakeHubChannel(ClientOptionsFor(name, port)));
  };
  v1::SubjectRequest asked;
  {
    grpc::ClientContext context;
    v1::AskSubjectRequest request;
    request.set_kind(kind);
    *request.mutable_subject() = subject;
    request.set_reason(reason);
    const grpc::Status status =
        stub("operator")->Ask(&context, request, &asked);
    if (!status.ok()) return FromGrpc(status);
  }
  grpc::ClientContext context;
  v1::ApproveSubjectRequest approve;
  approve.set_request_id(asked.request_id());
  v1::SubjectRequest approved;
  const grpc::Status status =
      stub("auditor")->Approve(&context, approve, &approved);
  if (!status.ok()) return FromGrpc(status);
  return asked.request_id();
}

absl::StatusOr<std::string> TestHub::ApprovedRequest(
    v1::SubjectRequestKind kind, const v1::Subject& subject,
    const std::string& reason) {
  return ApprovedSubjectRequest(port(), kind, subject, reason);
}

absl::StatusOr<v1::EraseSubjectResponse> TestHub::EraseSubject(
    const v1::Subject& subject, const std::string& reason) {
  absl::StatusOr<std::string> approved =
      ApprovedRequest(v1::SUBJECT_REQUEST_ERASE, subject, reason);
  if (!approved.ok()) return approved.status();
  grpc::ClientContext context;
  v1::EraseSubjectRequest request;
  *request.mutable_subject() = subject;
  request.set_request_id(*approved);
  v1::EraseSubjectResponse response;
  const grpc::Status status =
      Admin("operator")->EraseSubject(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::ExportSubjectResponse> TestHub::ExportSubject(
    const v1::Subject& subject, const std::string& name, int* parts) {
  v1::ExportSubjectRequest request;
  *request.mutable_subject() = subject;
  if (name == "operator") {
    absl::StatusOr<std::string> approved =
        ApprovedRequest(v1::SUBJECT_REQUEST_EXPORT, subject);
    if (!approved.ok()) return approved.status();
    request.set_request_id(*approved);
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(120));
  auto reader = Admin(name)->ExportSubject(&context, request);
  v1::ExportSubjectResponse whole, part;
  int count = 0;
  while (reader->Read(&part)) {
    whole.MergeFrom(part);
    ++count;
  }
  if (parts != nullptr) *parts = count;
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return whole;
}

std::string ExamplePolicyWith(
    const TempDir& dir,
    const std::vector<std::pair<std::string, std::string>>& replacements) {
  std::string text =
      *ReadFileToString(KETENHUB_SOURCE_DIR "/deploy/policy-example.textproto");
  for (const auto& [from, to] : replacements) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "not in the example policy: " << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  const std::string path = dir.path() + "/policy.textproto";
  std::ofstream(path) << text;
  return path;
}

std::string PolicyWithSlowPolitie(const TempDir& dir) {
  return ExamplePolicyWith(
      dir, {{"max_streams_per_partner: 4", "max_streams_per_partner: 2"},
            {"id: \"politie\"",
             "id: \"politie\"\n  submit_rate { per_second: 20 burst: 10 }"}});
}

grpc::Status RawUnaryCall(const ClientOptions& options,
                          const std::string& method, const std::string& bytes) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(options);
  if (!channel.ok()) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        std::string(channel.status().message()));
  }
  grpc::GenericStub stub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

std::vector<v1::Event> CollectEvents(ChainDirectorClient& client, size_t n,
                                     std::optional<uint64_t> from,
                                     absl::Duration timeout) {
  std::vector<v1::Event> events;
  absl::Notification done;
  std::thread watcher([&] {
    absl::Status status = client.Watch(
        [&](const v1::Event& event) {
          events.push_back(event);
          if (events.size() >= n) client.Cancel();
          return true;
        },
        from);
    EXPECT_TRUE(status.ok()) << status;
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(timeout)) client.Cancel();
  watcher.join();
  return events;
}

std::vector<v1::AuditRecord> QueryAudit(TestHub& hub,
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

}  // namespace ketenhub::testing
