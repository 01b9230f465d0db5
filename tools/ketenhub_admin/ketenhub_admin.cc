// ketenhub-admin: what an operator or auditor does on a hub's data folder
// itself, with the hub stopped or on a copy: restore a backup, re-key the
// pseudonyms, verify the audit trail offline. Everything else goes through
// the hub's API, with ketenctl.
#include <openssl/rand.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/audit/audit_record.h"
#include "server/common/core_dumps.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/storage/audit_verify.h"
#include "server/storage/signal_store.h"
#include "server/storage/time_conversion.h"
#include "tools/ketenctl/json_input.h"

namespace ketenhub {
namespace {

// An audit record of an offline step, as the operator `os_user` did it
// with this tool; complete, outcome OK.
v1::AuditRecord OfflineRecord(absl::string_view operation) {
  v1::AuditRecord record;
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof(bytes));
  const std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  record.set_trace_id(hex.substr(0, 32));
  record.set_span_id(hex.substr(32, 16));
  record.set_operation(std::string(operation));
  record.set_actor_partner_id("ketenhub-admin");
  const absl::Time now = absl::Now();
  SetTimestamp(now, record.mutable_start_time());
  SetTimestamp(now, record.mutable_end_time());
  const passwd* user = getpwuid(geteuid());
  (*record.mutable_details())["os_user"] =
      user != nullptr ? user->pw_name : absl::StrCat("uid ", geteuid());
  SetAuditOutcome(absl::OkStatus(), &record);
  return record;
}

// Prints `status` with a hint about the folder; returns the exit code.
int Report(const absl::Status& status, const std::string& dir) {
  std::cerr << "ketenhub-admin: " << absl::StatusCodeToString(status.code())
            << ": " << status.message() << "\n";
  if (absl::IsUnavailable(status) || absl::IsFailedPrecondition(status)) {
    std::cerr << "hint: this command reads " << dir
              << " directly, without the hub: give a hub's data folder or a "
                 "backup made by 'ketenctl admin backup', readable by you; a "
                 "command that changes it needs the hub that uses it stopped\n";
  }
  return EXIT_FAILURE;
}

int Restore(const std::string& backup, const std::string& data_dir) {
  absl::StatusOr<std::string> key =
      ReadFileToString(data_dir + "/keys/audit-signing.pub");
  if (!key.ok()) {
    return Report(absl::FailedPreconditionError(
                      "--data-dir: restore the hub's keys/ folder first "
                      "(keys/audit-signing.pub is missing)"),
                  data_dir);
  }
  // The restore is recorded in the restored trail, which needs the KEKs;
  // without them the hub could not read the data either.
  absl::StatusOr<std::vector<std::string>> keks =
      ListFolder(data_dir + "/keys/kek");
  if (!keks.ok() ||
      std::none_of(keks->begin(), keks->end(), [](const std::string& name) {
        return absl::EndsWith(name, ".key");
      })) {
    return Report(absl::FailedPreconditionError(
                      "--data-dir: restore the hub's keys/ folder first "
                      "(keys/kek holds no key-encryption key)"),
                  data_dir);
  }
  absl::StatusOr<StoreMaintenance::BackupInfo> info =
      RestoreBackup(backup, data_dir + "/db", *key);
  if (!info.ok()) return Report(info.status(), data_dir);
  v1::AuditRecord record = OfflineRecord("restore");
  auto& details = *record.mutable_details();
  details["backup"] = std::filesystem::path(backup).filename().string();
  details["restored_tree_size"] = absl::StrCat(info->audit_records);
  details["restored_root"] = absl::BytesToHexString(info->audit_root);
  details["restored_signals"] = absl::StrCat(info->signals);
  if (absl::Status recorded = RecordOffline(
          data_dir + "/db", data_dir + "/keys/kek", std::move(record));
      !recorded.ok()) {
    return Report(recorded, data_dir);
  }
  std::cout << "Restored " << info->signals << " signal(s) and "
            << info->audit_records << " verified audit record(s) into "
            << data_dir << "/db. Start the hub on " << data_dir << ".\n";
  return EXIT_SUCCESS;
}

int Rekey(const std::string& data_dir) {
  const std::string key_file = data_dir + "/keys/pseudonym.key";
  absl::StatusOr<std::string> next =
      SubjectPseudonymizer::CreateNextKey(key_file);
  if (!next.ok()) return Report(next.status(), data_dir);
  absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> pseudonymizer =
      SubjectPseudonymizer::OpenOrCreate(*next);
  if (!pseudonymizer.ok()) return Report(pseudonymizer.status(), data_dir);
  absl::StatusOr<uint64_t> rekeyed = RekeySubjects(
      data_dir + "/db", data_dir + "/keys/kek",
      [&](const v1::Subject& subject) {
        return (*pseudonymizer)->SubjectKey(subject);
      },
      (*pseudonymizer)->KeyCheck(),
      [&](const v1::Subject& subject) {
        // A key in memory: the MAC cannot fail.
        return (*pseudonymizer)
            ->IdentifierKeys(subject)
            .value_or(std::vector<v1::storage::IdentifierKey>());
      });
  if (!rekeyed.ok()) return Report(rekeyed.status(), data_dir);
  v1::AuditRecord record = OfflineRecord("rekey_pseudonyms");
  (*record.mutable_details())["rekeyed_signals"] = absl::StrCat(*rekeyed);
  (*record.mutable_details())["pseudonym_key_check"] =
      (*pseudonymizer)->KeyCheck();
  if (absl::Status recorded = RecordOffline(
          data_dir + "/db", data_dir + "/keys/kek", std::move(record));
      !recorded.ok()) {
    return Report(recorded, data_dir);
  }
  const std::string label =
      absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone());
  if (absl::Status adopted =
          SubjectPseudonymizer::AdoptNextKey(key_file, label);
      !adopted.ok()) {
    return Report(adopted, data_dir);
  }
  std::cout << "Re-keyed " << *rekeyed
            << " signal(s) under a new pseudonym key."
            << " The old key is kept as keys/pseudonym-previous/" << label
            << ".key so that audit queries by BSN still find earlier records."
            << "\n";
  return EXIT_SUCCESS;
}

// The database in `dir`: DIR/db of a hub's data folder (or a restored one),
// or DIR itself, a backup made by 'ketenctl admin backup'.
absl::StatusOr<std::string> DatabaseFolderIn(const std::string& dir) {
  std::error_code error;
  for (const std::string& candidate : {absl::StrCat(dir, "/db"), dir}) {
    if (std::filesystem::exists(candidate + "/CURRENT", error))
      return candidate;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("--data-dir: ", dir,
                   " holds no hub database (neither a data folder with db/ "
                   "nor a backup)"));
}

struct VerifyFlags {
  std::string data_dir, public_key, checkpoint;
  bool json = false;
};

void PrintVerification(const AuditVerification& result,
                       const std::string& seconds, bool json) {
  if (json) {
    std::cout << "{\"records\":" << result.records
              << ",\"checkpoints\":" << result.checkpoints << ",\"root\":\""
              << absl::BytesToHexString(result.root)
              << "\",\"ok\":" << (result.problem.empty() ? "true" : "false")
              << ",\"problem\":\"" << result.problem << "\"";
    if (result.first_bad_record)
      std::cout << ",\"first_bad_record\":" << *result.first_bad_record;
    std::cout << ",\"seconds\":" << seconds << "}\n";
  } else if (result.problem.empty()) {
    std::cout << "Verified offline: " << result.records
              << " records recomputed into root "
              << absl::BytesToHexString(result.root).substr(0, 16) << "..., "
              << result.checkpoints << " signed checkpoint(s) match, in "
              << seconds << " s.\n";
  } else {
    std::cout << "The audit trail does NOT verify: " << result.problem << ".\n";
  }
}

int VerifyOffline(const VerifyFlags& flags) {
  absl::StatusOr<std::string> key = ReadFileToString(flags.public_key);
  if (!key.ok()) return Report(key.status(), flags.data_dir);
  std::vector<v1::SignedCheckpoint> trusted;
  if (!flags.checkpoint.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(flags.checkpoint);
    absl::StatusOr<v1::SignedCheckpoint> saved =
        text.ok() ? CheckpointFromJson(*text, flags.checkpoint)
                  : absl::StatusOr<v1::SignedCheckpoint>(text.status());
    if (!saved.ok()) return Report(saved.status(), flags.data_dir);
    trusted.push_back(*std::move(saved));
  }
  absl::StatusOr<std::string> db = DatabaseFolderIn(flags.data_dir);
  if (!db.ok()) return Report(db.status(), flags.data_dir);
  const absl::Time start = absl::Now();
  bool progress_shown = false;
  absl::StatusOr<AuditVerification> result =
      VerifyAuditLog(*db, *key, trusted, [&](uint64_t records) {
        if (flags.json || records < 100000) return;
        std::cerr << records << " records checked...\r";
        progress_shown = true;
      });
  if (progress_shown) std::cerr << "\n";
  if (!result.ok()) return Report(result.status(), flags.data_dir);
  PrintVerification(
      *result,
      absl::StrFormat("%.2f", absl::ToDoubleSeconds(absl::Now() - start)),
      flags.json);
  return result->problem.empty() ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace ketenhub

int main(int argc, char** argv) {
  // Keys in memory never reach a core file.
  if (absl::Status dumps = ketenhub::ForbidCoreDumps(); !dumps.ok()) {
    std::cerr << "ketenhub-admin: " << dumps.message() << "\n";
    return EXIT_FAILURE;
  }
  CLI::App app{
      "ketenhub-admin: work on a KetenHub data folder or backup directly "
      "(restore, re-key, offline audit verification); the hub's API is "
      "ketenctl's"};
  app.require_subcommand(1);
  std::string backup, data_dir;
  CLI::App* restore = app.add_subcommand(
      "restore", "put a backup into a stopped hub's data folder, verified");
  restore->add_option("--backup", backup, "the backup folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  restore
      ->add_option("--data-dir", data_dir,
                   "the hub's data folder: keys/ restored, no db/ yet")
      ->required();
  CLI::App* rekey = app.add_subcommand(
      "rekey-pseudonyms",
      "a new pseudonym key, every signal re-keyed, hub stopped (take a backup "
      "first)");
  rekey->add_option("--data-dir", data_dir, "the stopped hub's data folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  CLI::App* audit = app.add_subcommand("audit", "the audit trail, offline");
  audit->require_subcommand(1);
  ketenhub::VerifyFlags verify_flags;
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "prove the audit trail was not altered: recompute the whole tree from "
      "a data folder or backup and check every signed checkpoint");
  verify
      ->add_option("--data-dir", verify_flags.data_dir,
                   "a hub's data folder (with db/), or a backup folder")
      ->required();
  verify
      ->add_option(
          "--public-key", verify_flags.public_key,
          "the hub's audit public key (DATA_DIR/keys/audit-signing.pub)")
      ->required()
      ->check(CLI::ExistingFile);
  verify->add_option("--checkpoint", verify_flags.checkpoint,
                     "a checkpoint saved earlier: the log must extend it");
  verify->add_flag("--json", verify_flags.json, "print JSON for scripts");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(error);
    std::cerr << "ketenhub-admin: " << error.what()
              << "\nRun 'ketenhub-admin --help' for what it understands.\n";
    return EXIT_FAILURE;
  }
  if (*restore) return ketenhub::Restore(backup, data_dir);
  if (*rekey) return ketenhub::Rekey(data_dir);
  return ketenhub::VerifyOffline(verify_flags);
}
