#include "server/service/hub.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "server/common/json_log.h"
#include "server/common/status_macros.h"
#include "server/policy/current_policy.h"
#include "server/routing/event_notifier.h"
#include "server/security/server_credentials.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/admin_service.h"
#include "server/service/chain_director_service.h"
#include "server/service/signal_service.h"
#include "server/storage/signal_store.h"

namespace ketenhub {
namespace {

constexpr absl::Duration kShutdownGrace = absl::Seconds(5);

absl::Status MakePrivateDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot create ", path, ": ", error.message()));
  }
  if (::chmod(path.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: cannot restrict ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

SignalLimits LimitsFrom(const v1::LimitsConfig& config) {
  SignalLimits limits;
  limits.max_summary_bytes = config.max_summary_bytes();
  limits.max_sections = config.max_sections();
  limits.max_section_bytes = config.max_section_bytes();
  return limits;
}

class RunningHub final : public Hub {
 public:
  absl::Status Init(const v1::HubConfig& config);
  int port() const override { return port_; }
  absl::StatusOr<std::string> ReloadPolicy() override {
    return ReloadAndLog(*policy_);
  }
  void Shutdown() override;
  ~RunningHub() override { Shutdown(); }

 private:
  std::unique_ptr<CurrentPolicy> policy_;
  std::unique_ptr<SubjectPseudonymizer> pseudonymizer_;
  std::unique_ptr<SignalStore> store_;
  std::unique_ptr<EventNotifier> notifier_;
  std::unique_ptr<SignalServiceImpl> signal_service_;
  std::unique_ptr<ChainDirectorServiceImpl> chain_director_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

absl::Status RunningHub::Init(const v1::HubConfig& config) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(config.policy_file());
  KETENHUB_RETURN_IF_ERROR(policy.status());
  policy_ =
      std::make_unique<CurrentPolicy>(*std::move(policy), config.policy_file());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(config.tls());
  KETENHUB_RETURN_IF_ERROR(credentials.status());

  const std::string key_dir = config.data_dir() + "/keys";
  KETENHUB_RETURN_IF_ERROR(MakePrivateDir(config.data_dir()));
  KETENHUB_RETURN_IF_ERROR(MakePrivateDir(key_dir));
  absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> pseudonymizer =
      SubjectPseudonymizer::OpenOrCreate(key_dir + "/pseudonym.key");
  KETENHUB_RETURN_IF_ERROR(pseudonymizer.status());
  pseudonymizer_ = *std::move(pseudonymizer);
  absl::StatusOr<std::unique_ptr<SignalStore>> store = SignalStore::Open(
      {config.data_dir() + "/db", config.commit().max_group_size()});
  KETENHUB_RETURN_IF_ERROR(store.status());
  store_ = *std::move(store);

  notifier_ = std::make_unique<EventNotifier>(store_->LastCursor());
  store_->SetEventListener(
      [notifier = notifier_.get()](uint64_t last) { notifier->Notify(last); });
  signal_service_ = std::make_unique<SignalServiceImpl>(
      policy_.get(), store_.get(), pseudonymizer_.get(),
      LimitsFrom(config.limits()));
  chain_director_service_ = std::make_unique<ChainDirectorServiceImpl>(
      policy_.get(), store_.get(), notifier_.get());
  admin_service_ =
      std::make_unique<AdminServiceImpl>(policy_.get(), store_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), *credentials, &port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(config.limits().max_message_bytes()));
  builder.RegisterService(signal_service_.get());
  builder.RegisterService(chain_director_service_.get());
  builder.RegisterService(admin_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "listen_address: cannot listen on ", config.listen_address()));
  }
  LogEvent(LogLevel::kInfo, "listening",
           {{"address", config.listen_address()},
            {"port", static_cast<int64_t>(port_)},
            {"policy_version", policy_->Get()->version()}});
  return absl::OkStatus();
}

void RunningHub::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (notifier_) notifier_->Close();  // idle streams end now
  if (server_) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kShutdownGrace));
    server_->Wait();
  }
  if (store_) {
    store_->SetEventListener(nullptr);
    store_->Close();
  }
  server_.reset();
  store_.reset();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Hub>> Hub::Start(const v1::HubConfig& config) {
  auto hub = std::make_unique<RunningHub>();
  KETENHUB_RETURN_IF_ERROR(hub->Init(config));
  return hub;
}

}  // namespace ketenhub
