#include "server/service/hub.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "server/common/core_dumps.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/common/periodic_task.h"
#include "server/common/status_macros.h"
#include "server/common/text_proto.h"
#include "server/common/thread_name.h"
#include "server/crypto/pkcs11_token.h"
#include "server/policy/current_policy.h"
#include "server/routing/event_notifier.h"
#include "server/security/revocation_list.h"
#include "server/security/server_credentials.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/admin_service.h"
#include "server/service/audit_checkpoints.h"
#include "server/service/audit_service.h"
#include "server/service/audited_call.h"
#include "server/service/chain_director_service.h"
#include "server/service/hub_config.h"
#include "server/service/hub_metrics.h"
#include "server/service/metrics_server.h"
#include "server/service/parsed_request.h"
#include "server/service/report_service.h"
#include "server/service/signal_service.h"
#include "server/service/subject_request_service.h"
#include "server/service/witness_service.h"
#include "server/storage/signal_store.h"

namespace ketenhub {
namespace {

constexpr absl::Duration kShutdownGrace = absl::Seconds(5);
// As often as gRPC re-reads the certificate files.
constexpr absl::Duration kRevocationReload = absl::Seconds(60);
// How soon a lapsed four-eyes request is recorded as expired.
constexpr absl::Duration kRequestExpiryInterval = absl::Seconds(5);
// How often readiness looks at storage (and probes it after a failed write).
constexpr absl::Duration kReadinessWatchInterval = absl::Seconds(1);

// The client library pings every 20 s on a silent call; the hub accepts
// pings twice as often before it counts them as abuse.
constexpr int kMinClientPingIntervalMs = 10000;

// Milliseconds for a configured number of seconds; 0 takes the default.
int Milliseconds(uint32_t seconds, uint32_t default_seconds) {
  return static_cast<int>((seconds > 0 ? seconds : default_seconds) * 1000);
}

void SetTransportOptions(const v1::TransportConfig& transport,
                         grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      Milliseconds(transport.keepalive_time_seconds(), kKeepaliveTimeSeconds));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Milliseconds(transport.keepalive_timeout_seconds(),
                                          kKeepaliveTimeoutSeconds));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Keep pinging a stream that has nothing to send (an idle Subscribe).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      kMinClientPingIntervalMs);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Milliseconds(transport.handshake_timeout_seconds(),
                                          kHandshakeTimeoutSeconds));
}

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
  absl::Status Init(const v1::HubConfig& config, rocksdb::Env* storage_env,
                    const Overrides& overrides);
  int port() const override { return port_; }
  int metrics_port() const override {
    return metrics_server_ ? metrics_server_->port() : 0;
  }
  absl::StatusOr<std::string> ReloadPolicy() override;
  // Re-reads the CRLs; on failure every caller is refused until one works.
  void ReloadRevocation() {
    if (absl::Status reloaded = revocation_->Reload(); !reloaded.ok()) {
      LogEvent(LogLevel::kError, "revocation_list_unusable",
               {{"reason", reloaded.message()}});
    }
  }
  // Readiness: every service NOT_SERVING while storage refuses writes (until
  // a probe write lands) or the CRLs are unusable (every caller is refused
  // then); logs each change with its reason.
  void WatchReadiness(grpc::HealthCheckServiceInterface& health) {
    absl::Status probe;
    if (!store_->maintenance().StorageWritable())
      probe = store_->maintenance().ProbeStorage();
    const absl::Status revocation = revocation_->Usable(absl::Now());
    const bool was_ready = storage_ready_ && revocation_ready_;
    if (probe.ok() != storage_ready_) {
      storage_ready_ = probe.ok();
      if (storage_ready_) {
        LogEvent(LogLevel::kInfo, "storage_recovered", {});
      } else {
        LogEvent(LogLevel::kError, "storage_failing",
                 {{"reason", probe.message()}});
      }
    }
    if (revocation.ok() != revocation_ready_) {
      revocation_ready_ = revocation.ok();
      if (revocation_ready_) {
        LogEvent(LogLevel::kInfo, "revocation_list_usable", {});
      } else {
        LogEvent(LogLevel::kError, "revocation_list_unusable",
                 {{"reason", revocation.message()}});
      }
    }
    const bool ready = storage_ready_ && revocation_ready_;
    if (ready != was_ready) health.SetServingStatus(ready);
  }
  void Shutdown() override;
  ~RunningHub() override { Shutdown(); }

 private:
  std::unique_ptr<CurrentPolicy> policy_;
  std::unique_ptr<SubjectPseudonymizer> pseudonymizer_;
  std::unique_ptr<SignalStore> store_;
  std::unique_ptr<EventNotifier> notifier_;
  PartnerLimits partner_limits_;
  std::unique_ptr<RevocationList> revocation_;
  std::unique_ptr<CertificateIdentityCache> certificates_;
  std::unique_ptr<PeriodicTask> revocation_reload_;
  std::unique_ptr<SignalServiceImpl> signal_service_;
  std::unique_ptr<ChainDirectorServiceImpl> chain_director_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<CheckpointSigner> signer_;
  std::unique_ptr<AuditServiceImpl> audit_service_;
  std::unique_ptr<WitnessServiceImpl> witness_service_;
  std::unique_ptr<ReportServiceImpl> report_service_;
  std::unique_ptr<SubjectRequestServiceImpl> subject_request_service_;
  uint64_t signed_size_ = 0;  // only the checkpoint task touches it
  std::unique_ptr<PeriodicTask> checkpoints_;
  std::unique_ptr<PeriodicTask> retention_;
  std::unique_ptr<PeriodicTask> request_expiry_;
  std::unique_ptr<PeriodicTask> readiness_watch_;
  bool storage_ready_ = true;  // only WatchReadiness touches these
  bool revocation_ready_ = true;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsServer> metrics_server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

absl::Status RunningHub::Init(const v1::HubConfig& config,
                              rocksdb::Env* storage_env,
                              const Overrides& overrides) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(config.policy_file());
  if (!policy.ok()) {
    return absl::Status(
        policy.status().code(),
        absl::StrCat("policy_file: ", policy.status().message()));
  }
  policy_ =
      std::make_unique<CurrentPolicy>(*std::move(policy), config.policy_file());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(config.tls());
  KETENHUB_RETURN_IF_ERROR(credentials.status());

  const std::string key_dir = config.data_dir() + "/keys";
  KETENHUB_RETURN_IF_ERROR(MakePrivateDir(config.data_dir()));
  KETENHUB_RETURN_IF_ERROR(MakePrivateDir(key_dir));
  // The keys: in a PKCS#11 token when the config names one, else files.
  std::shared_ptr<Pkcs11Token> token;
  if (!config.keys().pkcs11_uri().empty()) {
    absl::StatusOr<std::shared_ptr<Pkcs11Token>> opened = OpenTokenWithPinFrom(
        config.keys().pkcs11_uri(), config.keys().pin_file());
    KETENHUB_RETURN_IF_ERROR(opened.status());
    token = *std::move(opened);
  }
  absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> pseudonymizer =
      SubjectPseudonymizer::OpenForHub(key_dir, token);
  KETENHUB_RETURN_IF_ERROR(pseudonymizer.status());
  pseudonymizer_ = *std::move(pseudonymizer);
  absl::StatusOr<std::unique_ptr<SignalStore>> store = SignalStore::Open(
      {.path = config.data_dir() + "/db",
       .max_group_size = config.commit().max_group_size(),
       .env = storage_env,
       .accept_lost_keks = !overrides.replace_lost_kek_reason.empty(),
       .token = token});
  KETENHUB_RETURN_IF_ERROR(store.status());
  store_ = *std::move(store);
  std::vector<std::string> lost_keks;
  if (!overrides.replace_lost_kek_reason.empty()) {
    absl::StatusOr<std::vector<std::string>> missing =
        store_->maintenance().MissingKekIds();
    KETENHUB_RETURN_IF_ERROR(missing.status());
    if (missing->empty()) {
      return absl::FailedPreconditionError(
          "--replace-lost-kek: no key-encryption key is lost; start without "
          "it");
    }
    lost_keks = *std::move(missing);
  }
  absl::StatusOr<OpenedSigner> signer =
      OpenSigner(key_dir, *store_,
                 !overrides.replace_lost_signing_key_reason.empty(), token);
  KETENHUB_RETURN_IF_ERROR(signer.status());
  signer_ = std::move(signer->signer);
  KETENHUB_RETURN_IF_ERROR(
      store_->maintenance().BindPseudonymKey(pseudonymizer_->KeyCheck()));
  const std::string cosigned_file = config.data_dir() + "/cosigned";
  KETENHUB_RETURN_IF_ERROR(
      CheckCosignedTrail(*store_, *policy_->Get(), cosigned_file,
                         overrides.accept_rollback_reason));
  KETENHUB_RETURN_IF_ERROR(
      RecordStart(*store_, *signer_, *pseudonymizer_, *policy_->Get()));
  if (!lost_keks.empty()) {
    KETENHUB_RETURN_IF_ERROR(
        RecordKekReplaced(*store_, *policy_->Get(), lost_keks,
                          overrides.replace_lost_kek_reason));
    KETENHUB_RETURN_IF_ERROR(store_->maintenance().AcceptLostKeks(lost_keks));
  }
  if (!signer->replaced_key_id.empty()) {
    KETENHUB_RETURN_IF_ERROR(RecordKeyReplaced(
        *store_, *policy_->Get(), signer->replaced_key_id, signer_->key_id(),
        overrides.replace_lost_signing_key_reason));
  }

  notifier_ = std::make_unique<EventNotifier>(store_->LastCursor());
  store_->SetEventListener(
      [notifier = notifier_.get()](uint64_t last) { notifier->Notify(last); });
  std::vector<std::string> crl_files(config.tls().crl_files().begin(),
                                     config.tls().crl_files().end());
  absl::StatusOr<std::unique_ptr<RevocationList>> revocation =
      RevocationList::Load(std::move(crl_files), config.tls().ca_file());
  KETENHUB_RETURN_IF_ERROR(revocation.status());
  revocation_ = *std::move(revocation);
  // The trust bundle names each certificate's issuer, for the policy's
  // pinned_issuers.
  absl::StatusOr<std::string> anchors =
      ReadFileToString(config.tls().ca_file());
  KETENHUB_RETURN_IF_ERROR(anchors.status());
  certificates_ = std::make_unique<CertificateIdentityCache>(
      4096, revocation_.get(), *anchors);
  signal_service_ = std::make_unique<SignalServiceImpl>(
      policy_.get(), store_.get(), pseudonymizer_.get(),
      LimitsFrom(config.limits()), certificates_.get(), &partner_limits_);
  chain_director_service_ = std::make_unique<ChainDirectorServiceImpl>(
      policy_.get(), store_.get(), notifier_.get(), certificates_.get(),
      &partner_limits_);
  admin_service_ = std::make_unique<AdminServiceImpl>(
      policy_.get(), store_.get(), pseudonymizer_.get(), certificates_.get(),
      config.backup_dir().empty() ? config.data_dir() + "-backups"
                                  : config.backup_dir(),
      signer_->public_key_pem());
  audit_service_ = std::make_unique<AuditServiceImpl>(
      policy_.get(), store_.get(), pseudonymizer_.get(), signer_.get(),
      certificates_.get());
  witness_service_ = std::make_unique<WitnessServiceImpl>(
      policy_.get(), store_.get(), signer_.get(), certificates_.get(),
      cosigned_file);
  report_service_ = std::make_unique<ReportServiceImpl>(
      policy_.get(), store_.get(), certificates_.get());
  subject_request_service_ = std::make_unique<SubjectRequestServiceImpl>(
      policy_.get(), store_.get(), pseudonymizer_.get(), certificates_.get());
  revocation_reload_ = std::make_unique<PeriodicTask>(
      kRevocationReload, /*at_stop=*/false, [this] { ReloadRevocation(); });
  checkpoints_ = std::make_unique<PeriodicTask>(
      absl::Seconds(config.audit().checkpoint_interval_seconds()),
      /*at_stop=*/true,
      [this] { SignIfGrown(*store_, *signer_, signed_size_); });
  retention_ = std::make_unique<PeriodicTask>(
      absl::Seconds(config.retention().sweep_interval_seconds()),
      /*at_stop=*/false, [this] {
        absl::StatusOr<std::vector<v1::storage::StoredSignal>> destroyed =
            RunRetentionOnce(*store_, absl::Now(), /*dry_run=*/false,
                             HubRecord("retention_purge", *policy_->Get()));
        if (!destroyed.ok()) {
          LogEvent(LogLevel::kError, "retention_failed",
                   {{"reason", destroyed.status().message()}});
        } else {
          HubMetrics().Add("ketenhub_retention_destroyed_total", {},
                           static_cast<double>(destroyed->size()));
        }
      });
  // Four-eyes requests that lapse are recorded as expired.
  request_expiry_ = std::make_unique<PeriodicTask>(
      kRequestExpiryInterval, /*at_stop=*/false, [this] {
        (void)ExpireLapsedRequests(
            *store_, HubRecord("subject_request_expired", *policy_->Get()));
      });
  RegisterHubMetrics(config, store_.get(), &partner_limits_, policy_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), *credentials, &port_);
  // gRPC sets SO_REUSEPORT by default: a second hub on the same port would
  // start and silently take half the connections, with its own storage.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(config.limits().max_message_bytes()));
  SetTransportOptions(config.transport(), builder);
  builder.RegisterService(signal_service_.get());
  builder.RegisterService(chain_director_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(audit_service_.get());
  builder.RegisterService(witness_service_.get());
  builder.RegisterService(report_service_.get());
  builder.RegisterService(subject_request_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "listen_address: cannot listen on ", config.listen_address()));
  }
  // Ready: storage is open, the policy loaded and the keys present (Start
  // fails before this point otherwise). Each service reports itself too.
  if (grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService()) {
    for (const char* name : {v1::SignalService::service_full_name(),
                             v1::ChainDirectorService::service_full_name(),
                             v1::AdminService::service_full_name(),
                             v1::AuditService::service_full_name(),
                             v1::WitnessService::service_full_name(),
                             v1::ReportService::service_full_name(),
                             v1::SubjectRequestService::service_full_name()}) {
      health->SetServingStatus(name, true);
    }
    // Storage that stops taking writes (a failing disk, a full one), or
    // CRLs that cannot be used (an out-of-date one at start among them),
    // make every service NOT_SERVING until repaired.
    WatchReadiness(*health);
    readiness_watch_ = std::make_unique<PeriodicTask>(
        kReadinessWatchInterval, /*at_stop=*/false,
        [this, health] { WatchReadiness(*health); });
  }
  if (!config.metrics_address().empty()) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
        MetricsServer::Start(config.metrics_address());
    if (!metrics.ok()) return metrics.status();
    metrics_server_ = *std::move(metrics);
    LogEvent(LogLevel::kInfo, "metrics_listening",
             {{"address", config.metrics_address()},
              {"port", static_cast<int64_t>(metrics_server_->port())}});
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
  metrics_server_.reset();
  if (server_) {
    // Health watchers (load balancers) see NOT_SERVING at once, while
    // calls in flight drain; new calls are refused from here on.
    if (grpc::HealthCheckServiceInterface* health =
            server_->GetHealthCheckService()) {
      health->Shutdown();
    }
  }
  if (readiness_watch_) readiness_watch_->Stop();
  if (notifier_) notifier_->Close();  // idle streams end now
  if (server_) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kShutdownGrace));
    server_->Wait();
  }
  if (retention_) retention_->Stop();
  if (request_expiry_) request_expiry_->Stop();
  if (revocation_reload_) revocation_reload_->Stop();
  admin_service_.reset();  // finishes its queued work while storage is open
  if (checkpoints_) checkpoints_->Stop();  // signs a last checkpoint
  UnregisterHubGauges();
  if (store_) {
    store_->SetEventListener(nullptr);
    store_->Close();
  }
  server_.reset();
  store_.reset();
}

absl::StatusOr<std::string> RunningHub::ReloadPolicy() {
  ReloadRevocation();  // SIGHUP also re-reads the CRLs
  v1::AuditRecord record = HubRecord("reload_policy", *policy_->Get());
  (*record.mutable_details())["trigger"] = "SIGHUP";
  absl::Notification done;
  absl::StatusOr<std::string> result;
  ReloadAudited(*policy_, *store_, std::move(record),
                [&done, &result](absl::StatusOr<std::string> version) {
                  result = std::move(version);
                  done.Notify();
                });
  done.WaitForNotification();
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Hub>> Hub::Start(const v1::HubConfig& config,
                                                rocksdb::Env* storage_env,
                                                const Overrides& overrides) {
  RouteProtobufLogToJsonLog();  // before anything parses
  // Before the first key is read: no key in a core file.
  KETENHUB_RETURN_IF_ERROR(ForbidCoreDumps());
  auto hub = std::make_unique<RunningHub>();
  KETENHUB_RETURN_IF_ERROR(hub->Init(config, storage_env, overrides));
  return hub;
}

}  // namespace ketenhub
