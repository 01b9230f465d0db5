#include "server/service/admin_service.h"

#include <algorithm>
#include <filesystem>
#include <future>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/json_log.h"
#include "server/common/thread_name.h"
#include "server/policy/lifecycle.h"
#include "server/policy/signal_validation.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/service/message_stream.h"
#include "server/service/parsed_request.h"
#include "server/service/unary_call.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

constexpr uint32_t kMaxPage = 1000;

void LogReload(const absl::StatusOr<std::string>& version,
               const CurrentPolicy& policy) {
  if (version.ok()) {
    LogEvent(LogLevel::kInfo, "policy_reloaded",
             {{"policy_version", *version}});
  } else {
    LogEvent(LogLevel::kError, "policy_reload_refused",
             {{"reason", version.status().message()},
              {"policy_version", policy.Get()->version()}});
  }
}

void ToDestroyed(const v1::storage::StoredSignal& signal,
                 v1::DestroyedSignal* out) {
  out->set_signal_id(signal.signal_id());
  out->set_source_partner(signal.source_partner());
  out->set_category(signal.signal().category());
  *out->mutable_received_at() = signal.received_at();
  out->set_rule(signal.destruction_rule());
}

}  // namespace

void ReloadAudited(
    CurrentPolicy& policy, SignalStore& store, v1::AuditRecord record,
    absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> loaded =
      AccessPolicy::FromFile(policy.path());
  std::shared_ptr<const AccessPolicy> next;
  if (loaded.ok()) {
    next = *std::move(loaded);
    (*record.mutable_details())["new_policy_version"] = next->version();
    // Any version in force can be read back from the trail: the text of
    // each new one is kept with the reload that brought it in.
    if (next->version() != policy.Get()->version())
      (*record.mutable_details())["new_policy_text"] = next->text();
  }
  const absl::Status outcome = loaded.status();
  SetAuditOutcome(outcome, &record);
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(record));
  store.audit().Record(
      std::move(records), [&policy, next, outcome, done = std::move(done)](
                              absl::Status written) mutable {
        absl::StatusOr<std::string> result = absl::UnavailableError(
            "the audit trail cannot be written; the policy stays");
        if (written.ok() && next == nullptr) {
          result = outcome;
        } else if (written.ok()) {
          result = next->version();
          policy.Replace(next);
        }
        LogReload(result, policy);
        std::move(done)(std::move(result));
      });
}

AdminServiceImpl::AdminServiceImpl(CurrentPolicy* policy, SignalStore* store,
                                   const SubjectPseudonymizer* pseudonymizer,
                                   CertificateIdentityCache* certificates,
                                   std::string backup_dir,
                                   std::string audit_public_key_pem)
    : policy_(policy),
      store_(store),
      pseudonymizer_(pseudonymizer),
      certificates_(certificates),
      backup_dir_(std::move(backup_dir)),
      audit_public_key_pem_(std::move(audit_public_key_pem)) {
  const std::string service = v1::AdminService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = AdminServiceImpl;
  const v1::Role role = v1::ROLE_OPERATOR;
  MarkMethodCallback(MethodIndex(service, "ReloadPolicy"),
                     UnaryHandler(this, &Self::HandleReloadPolicy, env,
                                  "reload_policy", role));
  MarkMethodCallback(MethodIndex(service, "ListUnrouted"),
                     UnaryHandler(this, &Self::HandleListUnrouted, env,
                                  "list_unrouted", role));
  MarkMethodCallback(MethodIndex(service, "RunRetention"),
                     UnaryHandler(this, &Self::HandleRunRetention, env,
                                  "run_retention", role));
  MarkMethodCallback(MethodIndex(service, "ExportSubject"),
                     ParsingServerStreamingHandler(
                         this, &Self::ExportSubject,
                         UnparsableRefusal{env, "subject_export", role}));
  MarkMethodCallback(MethodIndex(service, "EraseSubject"),
                     UnaryHandler(this, &Self::HandleEraseSubject, env,
                                  "subject_erase", role));
  MarkMethodCallback(
      MethodIndex(service, "RotateKek"),
      UnaryHandler(this, &Self::HandleRotateKek, env, "rotate_kek", role));
  MarkMethodCallback(
      MethodIndex(service, "Backup"),
      UnaryHandler(this, &Self::HandleBackup, env, "backup", role));
}

AdminServiceImpl::~AdminServiceImpl() = default;

grpc::ServerUnaryReactor* AdminServiceImpl::HandleReloadPolicy(
    UnaryCall& call, const v1::ReloadPolicyRequest&,
    v1::ReloadPolicyResponse* response) {
  grpc::ServerUnaryReactor* reactor = call.reactor();
  v1::AuditRecord logged = call.record();
  ReloadAudited(*policy_, *store_, std::move(call.record()),
                [reactor, response, logged = std::move(logged)](
                    absl::StatusOr<std::string> version) mutable {
                  if (version.ok()) response->set_policy_version(*version);
                  LogOutcome(std::move(logged), version.status(), "");
                  reactor->Finish(ToGrpcStatus(version.status()));
                });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::HandleListUnrouted(
    UnaryCall& call, const v1::ListUnroutedRequest& request,
    v1::ListUnroutedResponse* response) {
  const uint32_t page = request.page_size() == 0
                            ? kMaxPage
                            : std::min(request.page_size(), kMaxPage);
  auto signals = store_->ListUnrouted(request.after_sequence(), page);
  if (signals.ok()) {
    for (const v1::storage::StoredSignal& signal : *signals) {
      v1::UnroutedSignal* out = response->add_signals();
      out->set_signal_id(signal.signal_id());
      out->set_sequence(signal.sequence());
      out->set_source_partner(signal.source_partner());
      out->set_category(signal.signal().category());
      *out->mutable_received_at() = signal.received_at();
    }
  }
  return call.Finish(signals.status());
}

absl::StatusOr<std::vector<v1::storage::StoredSignal>> RunRetentionOnce(
    SignalStore& store, absl::Time as_of, bool dry_run,
    const v1::AuditRecord& draft) {
  absl::StatusOr<std::vector<v1::storage::StoredSignal>> due =
      store.maintenance().DueSignals(as_of);
  if (!due.ok() || dry_run || due->empty()) return due;
  DestroyCommand command;
  for (const v1::storage::StoredSignal& signal : *due)
    command.signal_ids.push_back(signal.signal_id());
  command.as_of = as_of;
  command.audit = draft;
  command.audit.set_operation("retention_purge");
  std::promise<absl::StatusOr<std::vector<v1::storage::StoredSignal>>> done;
  store.maintenance().Destroy(
      std::move(command),
      [&done](
          absl::StatusOr<std::vector<v1::storage::StoredSignal>> destroyed) {
        done.set_value(std::move(destroyed));
      });
  absl::StatusOr<std::vector<v1::storage::StoredSignal>> destroyed =
      done.get_future().get();
  if (destroyed.ok() && !destroyed->empty()) {
    LogEvent(LogLevel::kInfo, "retention_purged",
             {{"signals", static_cast<int64_t>(destroyed->size())}});
  }
  return destroyed;
}

grpc::ServerUnaryReactor* AdminServiceImpl::HandleRunRetention(
    UnaryCall& call, const v1::RunRetentionRequest& request,
    v1::RunRetentionResponse* response) {
  if (request.has_as_of() && !request.dry_run())
    return call.Finish(absl::InvalidArgumentError("as_of: only with dry_run"));
  grpc::ServerUnaryReactor* reactor = call.reactor();
  const absl::Time as_of =
      request.has_as_of() ? FromTimestamp(request.as_of()) : absl::Now();
  const bool dry_run = request.dry_run();
  (*call.record().mutable_details())["dry_run"] = dry_run ? "true" : "false";
  long_work_.Run([this, reactor, response, as_of, dry_run,
                  record = std::move(call.record())]() mutable {
    absl::StatusOr<std::vector<v1::storage::StoredSignal>> result =
        RunRetentionOnce(*store_, as_of, dry_run, record);
    if (result.ok()) {
      response->set_dry_run(dry_run);
      for (const v1::storage::StoredSignal& signal : *result) {
        ToDestroyed(signal, response->add_destroyed());
        if (dry_run) {
          response->mutable_destroyed()->rbegin()->set_rule(
              lifecycle::RetentionRule(signal.signal().category(),
                                       signal.retention_days()));
        }
      }
      (*record.mutable_details())["signals"] = absl::StrCat(result->size());
    }
    FinishAudited(reactor, *store_, std::move(record), result.status());
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::HandleRotateKek(
    UnaryCall& call, const v1::RotateKekRequest&,
    v1::RotateKekResponse* response) {
  grpc::ServerUnaryReactor* reactor = call.reactor();
  long_work_.Run(
      [this, reactor, response, record = std::move(call.record())]() mutable {
        absl::StatusOr<StoreMaintenance::Rotation> rotation =
            store_->maintenance().RotateKek();
        if (rotation.ok()) {
          response->set_kek_id(rotation->kek_id);
          response->set_data_keys_rewrapped(rotation->rewrapped);
          for (const std::string& id : rotation->unused_kek_ids)
            response->add_unused_kek_ids(id);
          (*record.mutable_details())["kek_id"] = rotation->kek_id;
          (*record.mutable_details())["rewrapped"] =
              absl::StrCat(rotation->rewrapped);
          LogEvent(LogLevel::kInfo, "kek_rotated",
                   {{"kek_id", rotation->kek_id},
                    {"rewrapped", static_cast<int64_t>(rotation->rewrapped)}});
        }
        FinishAudited(reactor, *store_, std::move(record), rotation.status());
      });
  return reactor;
}

namespace {

bool IsBackupName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..")
    return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::HandleBackup(
    UnaryCall& call, const v1::BackupRequest& request,
    v1::BackupResponse* response) {
  if (!IsBackupName(request.name())) {
    return call.Finish(absl::InvalidArgumentError(
        "name: 1-64 of [A-Za-z0-9._-], not . or .."));
  }
  grpc::ServerUnaryReactor* reactor = call.reactor();
  const std::string path = absl::StrCat(backup_dir_, "/", request.name());
  (*call.record().mutable_details())["name"] = request.name();
  long_work_.Run([this, reactor, response, path,
                  record = std::move(call.record())]() mutable {
    std::error_code error;
    std::filesystem::create_directories(backup_dir_, error);
    if (!error) {
      std::filesystem::permissions(backup_dir_,
                                   std::filesystem::perms::owner_all, error);
    }
    absl::StatusOr<StoreMaintenance::BackupInfo> info =
        error ? absl::StatusOr<StoreMaintenance::BackupInfo>(
                    absl::FailedPreconditionError(
                        "backup_dir: cannot be created"))
              : store_->maintenance().Backup(path, audit_public_key_pem_);
    if (info.ok()) {
      response->set_path(path);
      response->set_signals(info->signals);
      response->set_audit_records(info->audit_records);
      response->set_audit_root(info->audit_root);
      (*record.mutable_details())["signals"] = absl::StrCat(info->signals);
      LogEvent(
          LogLevel::kInfo, "backup_written",
          {{"path", path}, {"signals", static_cast<int64_t>(info->signals)}});
    }
    FinishAudited(reactor, *store_, std::move(record), info.status());
  });
  return reactor;
}

}  // namespace ketenhub
