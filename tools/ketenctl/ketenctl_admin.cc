#include "tools/ketenctl/ketenctl_admin.h"

#include <fstream>

#include "grpcpp/channel.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"

namespace ketenhub {
namespace {

absl::StatusOr<std::unique_ptr<v1::AdminService::Stub>> Stub(
    const GlobalFlags& flags) {
  absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(*options);
  if (!channel.ok()) return channel.status();
  return v1::AdminService::NewStub(*channel);
}

// One call, retried when the hub is unreachable; long operations get an hour.
template <typename Request, typename Response, typename Method>
absl::Status Call(const GlobalFlags& flags, Method method,
                  const Request& request, Response& response,
                  bool long_running = false) {
  absl::StatusOr<std::unique_ptr<v1::AdminService::Stub>> stub = Stub(flags);
  if (!stub.ok()) return stub.status();
  ClientOptions options = *OptionsFrom(flags);
  if (long_running) options.attempt_deadline = absl::Hours(1);
  return CallWithRetries(options, [&](grpc::ClientContext* context) {
    return ((**stub).*method)(context, request, &response);
  });
}

// A person's whole export: every part of the ExportSubject stream, merged
// into `response`.
absl::Status ReadExport(const GlobalFlags& flags,
                        const v1::ExportSubjectRequest& request,
                        v1::ExportSubjectResponse& response) {
  absl::StatusOr<std::unique_ptr<v1::AdminService::Stub>> stub = Stub(flags);
  if (!stub.ok()) return stub.status();
  ClientOptions options = *OptionsFrom(flags);
  options.attempt_deadline = absl::Hours(1);
  return CallWithRetries(options, [&](grpc::ClientContext* context) {
    response.Clear();
    std::unique_ptr<grpc::ClientReader<v1::ExportSubjectResponse>> reader =
        (*stub)->ExportSubject(context, request);
    v1::ExportSubjectResponse part;
    while (reader->Read(&part)) response.MergeFrom(part);
    return reader->Finish();
  });
}

}  // namespace

void AdminCommands::Register(CLI::App& admin) {
  CLI::App* retention =
      admin.add_subcommand("retention", "signals past their retention");
  retention->require_subcommand(1);
  retention_ = retention->add_subcommand(
      "run", "destroy (crypto-shred) every signal whose retention passed");
  retention_->add_flag("--dry-run", dry_run_,
                       "only list what would be destroyed");
  retention_->add_option("--as-of", as_of_,
                         "with --dry-run: what would go by this date");
  CLI::App* subject = admin.add_subcommand(
      "subject", "a person's rights: access (AVG art. 15), erasure (art. 17)");
  subject->require_subcommand(1);
  export_ = subject->add_subcommand(
      "export", "everything the hub holds about one person, as JSON");
  erase_ = subject->add_subcommand("erase",
                                   "crypto-shred all signals about one person");
  // By one weak identifier: every signal carrying it (which may be about
  // more than one person; export first to see which).
  for (CLI::App* cmd : {export_, erase_}) subject_.Register(cmd);
  for (CLI::App* cmd : {export_, erase_}) {
    cmd->add_option("--request", request_id_,
                    "the approved request it runs on (ketenctl request; "
                    "four eyes), once")
        ->required();
  }
  export_->add_option("--out", out_file_, "file to write (default: stdout)");
  rotate_ = admin.add_subcommand(
      "rotate-kek",
      "new key-encryption key; every data key re-wrapped, online");
  backup_ = admin.add_subcommand(
      "backup", "online, verified copy of the database on the hub's host");
  backup_->add_option("name", backup_name_, "backup name, e.g. 2026-11-22")
      ->required();
}

std::optional<int> AdminCommands::Run(const GlobalFlags& flags) {
  if (retention_ != nullptr && *retention_) return Retention(flags);
  if (export_ != nullptr && *export_) return Export(flags);
  if (erase_ != nullptr && *erase_) return Erase(flags);
  if (rotate_ != nullptr && *rotate_) return RotateKek(flags);
  if (backup_ != nullptr && *backup_) return Backup(flags);
  return std::nullopt;
}

namespace {

// The person the flags name; one is required here.
absl::StatusOr<v1::Subject> RequiredSubject(const SubjectOptions& options) {
  absl::StatusOr<std::optional<v1::Subject>> subject = options.Subject();
  if (!subject.ok()) return subject.status();
  if (!subject->has_value()) {
    return absl::InvalidArgumentError(
        "give --bsn, --name with --birth-date, or one of --phone, --email, "
        "--alias, --address, --advert");
  }
  return **subject;
}

}  // namespace

int AdminCommands::Retention(const GlobalFlags& flags) {
  v1::RunRetentionRequest request;
  request.set_dry_run(dry_run_);
  if (!as_of_.empty()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%d", as_of_, absl::LocalTimeZone(), &time,
                         &error)) {
      return Report(absl::InvalidArgumentError("--as-of: give a date"), flags);
    }
    request.mutable_as_of()->set_seconds(absl::ToUnixSeconds(time));
  }
  v1::RunRetentionResponse response;
  absl::Status status = Call(flags, &v1::AdminService::Stub::RunRetention,
                             request, response, /*long_running=*/true);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
    return EXIT_SUCCESS;
  }
  for (const v1::DestroyedSignal& s : response.destroyed()) {
    std::cout << s.signal_id() << "  " << s.source_partner() << "  "
              << FormatTimestamp(s.received_at()) << "  " << s.rule() << "\n";
  }
  std::cout << response.destroyed_size() << " signal(s) "
            << (dry_run_ ? "would be destroyed." : "destroyed.") << "\n";
  return EXIT_SUCCESS;
}

int AdminCommands::Export(const GlobalFlags& flags) {
  absl::StatusOr<v1::Subject> subject = RequiredSubject(subject_);
  if (!subject.ok()) return Report(subject.status(), flags);
  v1::ExportSubjectRequest request;
  *request.mutable_subject() = *subject;
  request.set_request_id(request_id_);
  v1::ExportSubjectResponse response;
  absl::Status status = ReadExport(flags, request, response);
  if (!status.ok()) return Report(status, flags);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(response, &json, options);
  if (out_file_.empty()) {
    std::cout << json << "\n";
  } else {
    absl::Status written = WritePrivateFile(out_file_, json + "\n");
    if (!written.ok()) return Report(written, flags);
    std::cerr << response.signals_size() << " signal(s) and "
              << response.access_history_size()
              << " access record(s) written to " << out_file_
              << ". The export is itself in the audit trail.\n";
  }
  return EXIT_SUCCESS;
}

int AdminCommands::Erase(const GlobalFlags& flags) {
  absl::StatusOr<v1::Subject> subject = RequiredSubject(subject_);
  if (!subject.ok()) return Report(subject.status(), flags);
  v1::EraseSubjectRequest request;
  *request.mutable_subject() = *subject;
  request.set_request_id(request_id_);
  v1::EraseSubjectResponse response;
  absl::Status status = Call(flags, &v1::AdminService::Stub::EraseSubject,
                             request, response, /*long_running=*/true);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << "Erased " << response.erased_signal_ids_size()
              << " signal(s) about this person; the audit trail keeps that "
                 "it happened (pseudonyms only).\n";
  }
  return EXIT_SUCCESS;
}

int AdminCommands::RotateKek(const GlobalFlags& flags) {
  v1::RotateKekResponse response;
  absl::Status status =
      Call(flags, &v1::AdminService::Stub::RotateKek, v1::RotateKekRequest(),
           response, /*long_running=*/true);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
    return EXIT_SUCCESS;
  }
  std::cout << "New key-encryption key " << response.kek_id() << "; "
            << response.data_keys_rewrapped() << " data key(s) re-wrapped.\n";
  for (const std::string& id : response.unused_kek_ids()) {
    std::cout << "Key " << id
              << " is no longer used: back it up, then remove "
                 "DATA_DIR/keys/kek/"
              << id << ".key.\n";
  }
  return EXIT_SUCCESS;
}

int AdminCommands::Backup(const GlobalFlags& flags) {
  v1::BackupRequest request;
  request.set_name(backup_name_);
  v1::BackupResponse response;
  absl::Status status = Call(flags, &v1::AdminService::Stub::Backup, request,
                             response, /*long_running=*/true);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
    return EXIT_SUCCESS;
  }
  std::cout << "Backup written to " << response.path()
            << " on the hub: " << response.signals() << " signal(s), "
            << response.audit_records()
            << " audit record(s), audit tree verified. Back up the hub's "
               "keys/ folder separately: without its keys the backup is "
               "unreadable, by design.\n";
  return EXIT_SUCCESS;
}

}  // namespace ketenhub
