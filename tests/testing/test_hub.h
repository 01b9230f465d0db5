#ifndef KETENHUB_TESTS_TESTING_TEST_HUB_H_
#define KETENHUB_TESTS_TESTING_TEST_HUB_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/audit_client.h"
#include "client/chain_director_client.h"
#include "client/signal_client.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "ketenhub/v1/config.pb.h"
#include "ketenhub/v1/signal.grpc.pb.h"
#include "ketenhub/v1/subject_request.grpc.pb.h"
#include "server/service/hub.h"
#include "tests/testing/failing_file_system.h"

namespace ketenhub::testing {

// Paths of the PKI generated for this test run (tests/CMakeLists.txt).
std::string PkiFile(const std::string& name);  // e.g. "politie.pem"

// Every regular file under `dir` that holds `secret` in clear.
std::vector<std::string> FilesHolding(const std::string& dir,
                                      const std::string& secret);

// A fresh, empty temporary folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A config for a hub on 127.0.0.1 (free port), the test PKI, the example
// policy from deploy/, and data under `data_dir`.
v1::HubConfig TestHubConfig(const std::string& data_dir);

// Options for dev identity `name` (politie, ggd, ...) against a hub on
// 127.0.0.1:`port`, with the test PKI and short backoffs; for the
// organisations whose people the example policy wants named (ketenregisseur,
// zorgcoordinator, auditor, operator) a dev person: regisseur-1, zorg-1,
// privacy-1, beheer-1.
ClientOptions ClientOptionsFor(const std::string& name, int port,
                               int max_attempts = 1);

// A hub (the test configuration) on storage whose writes the test turns off
// and on with file_system->SetFailing. Members end in reverse order: the
// hub first, the folder last.
struct HubOverFailingStorage {
  TempDir dir;
  std::shared_ptr<FailingFileSystem> file_system;
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<Hub> hub;
};
absl::StatusOr<std::unique_ptr<HubOverFailingStorage>>
StartHubOverFailingStorage();

class TestHub;

// A four-eyes request of `kind` about `subject` at the hub on 127.0.0.1:
// `port`, asked by the dev operator (beheer-1) and approved by the dev
// privacy officer (privacy-1): its id.
absl::StatusOr<std::string> ApprovedSubjectRequest(
    int port, v1::SubjectRequestKind kind, const v1::Subject& subject,
    const std::string& reason = "AVG-verzoek 2026-17");

// Watches `client`'s event stream until `n` events arrived (each acked) or
// `timeout` passed, from `from` (default: the stored position).
std::vector<v1::Event> CollectEvents(
    ChainDirectorClient& client, size_t n,
    std::optional<uint64_t> from = std::nullopt,
    absl::Duration timeout = absl::Seconds(20));

// Every audit record `request` finds, as the dev auditor.
std::vector<v1::AuditRecord> QueryAudit(TestHub& hub,
                                        v1::AuditQueryRequest request);

// The real hub, in this process, over real mutual TLS on loopback, with
// RocksDB in a temporary folder that survives Restart().
class TestHub {
 public:
  // `policy_file` empty: deploy/policy-example.textproto.
  explicit TestHub(std::string policy_file = "");
  ~TestHub();

  void Restart();  // Shutdown, then Start on the same data and port.
  // Start on the same data and port (after Shutdown), reporting whether the
  // hub refused to start instead of failing the test.
  absl::Status TryStart(const Hub::Overrides& overrides = {});
  void Shutdown();
  int port() const { return hub_->port(); }
  std::string target() const;
  const std::string& data_dir() const { return data_dir_; }

  // A client using dev identity `name` (politie, ggd, outsider, ...).
  std::unique_ptr<SignalClient> Client(const std::string& name,
                                       int max_attempts = 1);
  std::unique_ptr<ChainDirectorClient> ChainDirector(
      const std::string& name = "ketenregisseur");
  std::unique_ptr<v1::AdminService::Stub> Admin(
      const std::string& name = "operator");
  std::unique_ptr<AuditClient> Auditor(const std::string& name = "auditor");
  std::unique_ptr<v1::AuditService::Stub> AuditStub(
      const std::string& name = "auditor");
  std::unique_ptr<v1::SubjectRequestService::Stub> SubjectRequests(
      const std::string& name = "operator");
  // ApprovedSubjectRequest at this hub.
  absl::StatusOr<std::string> ApprovedRequest(
      v1::SubjectRequestKind kind, const v1::Subject& subject,
      const std::string& reason = "AVG-verzoek 2026-17");
  // A person's whole export (AdminService.ExportSubject) as dev identity
  // `name`, on an approved request (ApprovedRequest) when `name` is the
  // operator: every part of the stream merged; `parts` (optional) gets how
  // many messages it took.
  absl::StatusOr<v1::ExportSubjectResponse> ExportSubject(
      const v1::Subject& subject, const std::string& name = "operator",
      int* parts = nullptr);
  // An erasure (AdminService.EraseSubject) on an approved request.
  absl::StatusOr<v1::EraseSubjectResponse> EraseSubject(
      const v1::Subject& subject, const std::string& reason);
  // The hub's audit public key (PEM).
  std::string AuditPublicKey() const;
  ClientOptions Options(const std::string& name, int max_attempts = 1) const;
  // A bare stub, for calls the client library would not make.
  std::unique_ptr<v1::SignalService::Stub> Stub(const std::string& name);

  // Number of stored signals (opens the database read-only; hub must be down).
  int CountStoredSignals() const;
  static int CountStoredSignalsIn(const std::string& data_dir);

 private:
  void Start();

  TempDir dir_;
  std::string data_dir_;
  std::string policy_file_;
  int port_ = 0;
  std::unique_ptr<Hub> hub_;
};

// Writes into `dir` the example policy with each `from` text replaced by its
// `to` (every `from` must occur; the test fails otherwise); returns its path.
std::string ExamplePolicyWith(
    const TempDir& dir,
    const std::vector<std::pair<std::string, std::string>>& replacements);

// Sends `bytes` as the request of unary `method` (e.g.
// "/ketenhub.v1.SignalService/Submit") with `options`, as a client that
// knows nothing of the message types would; the call's status.
grpc::Status RawUnaryCall(const ClientOptions& options,
                          const std::string& method, const std::string& bytes);

// The example policy with politie's submit rate turned down to 20/s (burst
// 10) and at most 2 streams per partner, written into `dir`; its path.
std::string PolicyWithSlowPolitie(const TempDir& dir);

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_TEST_HUB_H_
