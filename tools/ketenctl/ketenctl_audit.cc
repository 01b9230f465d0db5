#include "tools/ketenctl/ketenctl_audit.h"

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/audit_client.h"
#include "server/audit/checkpoint.h"
#include "server/common/text_proto.h"
#include "tools/ketenctl/audit_line.h"
#include "tools/ketenctl/json_input.h"

namespace ketenhub {
namespace {

// "2026-01-01" (local midnight) or RFC 3339.
absl::StatusOr<google::protobuf::Timestamp> ParseWhen(const std::string& text,
                                                      absl::string_view flag) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", text, absl::LocalTimeZone(), &time,
                       &error) &&
      !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": give a date (2026-01-01) or a time (2026-01-01T09:00:00Z)"));
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(time));
  return ts;
}

absl::StatusOr<v1::SignedCheckpoint> ReadCheckpoint(const std::string& file) {
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (!text.ok()) return text.status();
  return CheckpointFromJson(*text, file);
}

absl::Status SaveCheckpoint(const v1::SignedCheckpoint& checkpoint,
                            const std::string& file) {
  std::ofstream out(file, std::ios::trunc);
  out << ToJson(checkpoint) << "\n";
  out.close();
  if (!out)
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", file));
  return absl::OkStatus();
}

std::string ShortHex(absl::string_view hex) {
  return std::string(hex.substr(0, 16));
}

}  // namespace

void AuditCommands::Register(CLI::App& app) {
  CLI::App* audit =
      app.add_subcommand("audit", "read and verify the audit trail (auditors)");
  audit->require_subcommand(1);
  query_ = audit->add_subcommand(
      "query", "who did what, when, why: a table of audit records");
  export_ = audit->add_subcommand(
      "export", "write every audit record of a period as JSON lines");
  for (CLI::App* cmd : {query_, export_}) {
    cmd->add_option("--from", from_, "from this date or time (inclusive)");
    cmd->add_option("--to", to_, "up to this date or time (exclusive)");
  }
  // The person (pseudonymised by the hub): by BSN, name, or one weak
  // identifier (the records about every person carrying it).
  subject_.Register(query_);
  query_->add_option("--actor", actor_, "partner id or OIN");
  query_->add_option("--operation", operation_,
                     "e.g. submit, get_signal, deliver, release, audit_query");
  query_->add_option("--outcome", outcome_, "succeeded or refused");
  query_->add_option("--trace-id", trace_id_, "W3C trace id (32 hex)");
  query_->add_option("--user", user_,
                     "one employee's records (their id as their organisation "
                     "sent it), in time order; the auditor's own person comes "
                     "before 'audit' or from KETEN_USER");
  query_->add_option("--signal-id", signal_id_, "records about this signal");
  query_->add_option("--limit", limit_, "stop after this many records");
  query_->add_flag("--cross-check", cross_check_,
                   "with --bsn, --signal-id or --user: read every record of "
                   "the period and check the index against them (slower; "
                   "for an inquiry)");
  export_->add_option("--out", out_file_, "file to write (default: stdout)");
  verify_ = audit->add_subcommand(
      "verify",
      "prove the audit trail was not altered, against the hub (offline, "
      "on a data folder or backup: ketenhub-admin audit verify)");
  verify_
      ->add_option(
          "--public-key", public_key_,
          "the hub's audit public key (DATA_DIR/keys/audit-signing.pub)")
      ->required()
      ->check(CLI::ExistingFile);
  verify_->add_option("--checkpoint", checkpoint_file_,
                      "a checkpoint saved earlier: the log must extend it");
  verify_->add_option("--save", save_file_,
                      "save the verified checkpoint here for next time");
  verify_->add_option("--record", records_,
                      "also prove these record indexes are in the log");
  verify_->add_option("--data-dir", data_dir_,
                      "not here: offline verification is ketenhub-admin "
                      "audit verify");
}

std::optional<int> AuditCommands::Run(const GlobalFlags& flags) {
  if (query_ != nullptr && *query_) return Query(flags, false);
  if (export_ != nullptr && *export_) return Query(flags, true);
  if (verify_ != nullptr && *verify_) {
    if (!data_dir_.empty()) {
      return Report(absl::InvalidArgumentError(
                        "--data-dir: offline verification reads the hub's "
                        "data folder itself: run 'ketenhub-admin audit verify "
                        "--data-dir DIR --public-key KEY' (ketenhub package)"),
                    flags);
    }
    return VerifyOnline(flags);
  }
  return std::nullopt;
}

int AuditCommands::Query(const GlobalFlags& flags, bool export_all) {
  v1::AuditQueryRequest request;
  absl::StatusOr<std::optional<v1::Subject>> subject = subject_.Subject();
  if (!subject.ok()) return Report(subject.status(), flags);
  if (subject->has_value()) *request.mutable_subject() = **subject;
  request.set_actor(actor_);
  request.set_operation(operation_);
  if (outcome_ == "succeeded") {
    request.set_outcome(v1::AUDIT_OUTCOME_SUCCEEDED);
  } else if (outcome_ == "refused") {
    request.set_outcome(v1::AUDIT_OUTCOME_REFUSED);
  } else if (!outcome_.empty()) {
    return Report(absl::InvalidArgumentError("--outcome: succeeded or refused"),
                  flags);
  }
  for (auto [text, field, flag] :
       {std::tuple{&from_, request.mutable_from(), "--from"},
        std::tuple{&to_, request.mutable_to(), "--to"}}) {
    if (text->empty()) continue;
    absl::StatusOr<google::protobuf::Timestamp> ts = ParseWhen(*text, flag);
    if (!ts.ok()) return Report(ts.status(), flags);
    *field = *ts;
  }
  request.set_trace_id(trace_id_);
  request.set_user(user_);
  request.set_cross_check(cross_check_);
  request.set_signal_id(signal_id_);
  auto client = ConnectAs<AuditClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  std::ofstream file;
  if (export_all && !out_file_.empty()) file.open(out_file_, std::ios::trunc);
  std::ostream& out = file.is_open() ? file : std::cout;
  size_t count = 0;
  absl::Status status =
      (*client)->Query(request, [&](const v1::AuditRecord& record) {
        ++count;
        if (export_all || flags.json) {
          out << ToJson(record) << "\n";
        } else {
          std::cout << AuditRecordLine(record);
        }
        if (export_all && !out_file_.empty() && count % 10000 == 0)
          std::cerr << count << " records exported...\n";
        return limit_ == 0 || count < limit_;
      });
  if (!status.ok()) return Report(status, flags);
  if (export_all && !out_file_.empty()) {
    std::cerr << count << " records exported to " << out_file_ << ".\n";
  } else if (!flags.json && !export_all) {
    std::cout << count << (count == 1 ? " record" : " records")
              << ". This query is itself in the audit trail.\n";
  }
  return EXIT_SUCCESS;
}

int AuditCommands::VerifyOnline(const GlobalFlags& flags) {
  absl::StatusOr<std::string> key = ReadFileToString(public_key_);
  if (!key.ok()) return Report(key.status(), flags);
  std::optional<v1::SignedCheckpoint> trusted;
  if (!checkpoint_file_.empty()) {
    absl::StatusOr<v1::SignedCheckpoint> saved =
        ReadCheckpoint(checkpoint_file_);
    if (!saved.ok()) return Report(saved.status(), flags);
    trusted = *std::move(saved);
  }
  auto client = ConnectAs<AuditClient>(flags);
  if (!client.ok()) return Report(client.status(), flags);
  absl::StatusOr<v1::SignedCheckpoint> current =
      (*client)->VerifyLog(*key, trusted);
  if (!current.ok()) {
    std::cerr << "ketenctl: the audit trail does NOT verify: "
              << current.status().message() << "\n";
    return EXIT_FAILURE;
  }
  for (uint64_t index : records_) {
    absl::StatusOr<v1::AuditRecord> record =
        (*client)->VerifyRecord(index, *current);
    if (!record.ok()) {
      std::cerr << "ketenctl: record " << index
                << " is not proven in the log: " << record.status().message()
                << "\n";
      return EXIT_FAILURE;
    }
  }
  if (!save_file_.empty()) {
    if (absl::Status s = SaveCheckpoint(*current, save_file_); !s.ok())
      return Report(s, flags);
  }
  if (flags.json) {
    std::cout << ToJson(*current) << "\n";
    return EXIT_SUCCESS;
  }
  std::cout << "Verified: the hub signed a log of " << current->tree_size()
            << " records (root "
            << ShortHex(absl::BytesToHexString(current->root_hash()))
            << "...) with key " << ShortHex(current->key_id()) << "...";
  if (trusted) {
    std::cout << "; it extends your checkpoint of " << trusted->tree_size()
              << " records unchanged";
  }
  if (!records_.empty())
    std::cout << "; " << records_.size() << " record(s) proven in it";
  std::cout << ".\n";
  return EXIT_SUCCESS;
}

}  // namespace ketenhub
