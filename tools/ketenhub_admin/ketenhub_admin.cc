// ketenhub-admin: what an operator or auditor does on a hub's data folder
// itself, with the hub stopped or on a copy: restore a backup, re-key the
// pseudonyms, verify the audit trail offline. Everything else goes through
// the hub's API, with ketenctl.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/audit/audit_record.h"
#include "server/common/core_dumps.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/crypto/pkcs11_token.h"
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

int Restore(const std::string& backup, const std::string& data_dir,
            const std::string& pkcs11_uri, const std::string& pin_file) {
  absl::StatusOr<std::string> key =
      ReadFileToString(data_dir + "/keys/audit-signing.pub");
  if (!key.ok()) {
    return Report(absl::FailedPreconditionError(
                      "--data-dir: restore the hub's keys/ folder first "
                      "(keys/audit-signing.pub is missing)"),
                  data_dir);
  }
  // The restore is recorded in the restored trail, which needs the KEKs
  // (files, or the hub's token); without them the hub could not read the
  // data either.
  std::shared_ptr<Pkcs11Token> token;
  if (!pkcs11_uri.empty()) {
    absl::StatusOr<std::shared_ptr<Pkcs11Token>> opened =
        OpenTokenWithPinFrom(pkcs11_uri, pin_file);
    if (!opened.ok()) return Report(opened.status(), data_dir);
    token = *std::move(opened);
  }
  absl::StatusOr<std::vector<std::string>> keks =
      ListFolder(data_dir + "/keys/kek");
  if (token == nullptr &&
      (!keks.ok() ||
       std::none_of(keks->begin(), keks->end(), [](const std::string& name) {
         return absl::EndsWith(name, ".key");
       }))) {
    return Report(absl::FailedPreconditionError(
                      "--data-dir: restore the hub's keys/ folder first "
                      "(keys/kek holds no key-encryption key; with keys in a "
                      "token, give --pkcs11-uri)"),
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
          data_dir + "/db", data_dir + "/keys/kek", std::move(record), token);
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
  std::error_code error;
  if (!std::filesystem::exists(key_file, error)) {
    return Report(absl::FailedPreconditionError(
                      "keys/pseudonym.key: missing; with keys in a PKCS#11 "
                      "token, re-keying is not supported yet (re-key before "
                      "moving the keys into the token)"),
                  data_dir);
  }
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

// Reads the Ed25519 private key in PEM at `path` as raw bytes (private,
// public).
absl::StatusOr<std::pair<std::string, std::string>> RawSigningKey(
    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path);
  if (!pem.ok()) return pem.status();
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  OPENSSL_cleanse(pem->data(), pem->size());
  std::string private_key(32, '\0'), public_key(32, '\0');
  size_t private_size = 32, public_size = 32;
  const bool ok = key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
                  EVP_PKEY_get_raw_private_key(
                      key, reinterpret_cast<unsigned char*>(private_key.data()),
                      &private_size) == 1 &&
                  EVP_PKEY_get_raw_public_key(
                      key, reinterpret_cast<unsigned char*>(public_key.data()),
                      &public_size) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not an Ed25519 private key"));
  }
  return std::make_pair(std::move(private_key), std::move(public_key));
}

// Moves the stopped hub's three keys from files in DATA_DIR/keys into the
// token: imports them (non-extractable), checks that the token's
// pseudonyms and signatures are the files', records the move in the trail
// with the files' KEKs, then deletes the key files.
int MoveKeysToToken(const std::string& data_dir, const std::string& uri,
                    const std::string& pin_file) {
  const std::string keys = data_dir + "/keys";
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      OpenTokenWithPinFrom(uri, pin_file);
  if (!token.ok()) return Report(token.status(), data_dir);
  absl::StatusOr<std::vector<std::string>> held =
      (*token)->SecretKeyLabels(kTokenKekLabelPrefix);
  if (!held.ok()) return Report(held.status(), data_dir);
  if (!held->empty() ||
      (*token)->FindPrivateKey(kTokenSigningLabel).value_or(std::nullopt)) {
    return Report(absl::FailedPreconditionError(absl::StrCat(
                      "token '", (*token)->label(),
                      "' already holds KetenHub keys; give an empty token")),
                  data_dir);
  }
  // The files, all read before anything is imported.
  absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> from_file =
      SubjectPseudonymizer::OpenOrCreate(keys + "/pseudonym.key");
  absl::StatusOr<std::string> pseudonym_key =
      ReadFileToString(keys + "/pseudonym.key");
  absl::StatusOr<std::pair<std::string, std::string>> signing =
      RawSigningKey(keys + "/audit-signing.key");
  absl::StatusOr<std::vector<std::string>> kek_files =
      ListFolder(keys + "/kek");
  for (const absl::Status& status : {from_file.status(), pseudonym_key.status(),
                                     signing.status(), kek_files.status()}) {
    if (!status.ok()) return Report(status, data_dir);
  }
  std::vector<std::string> kek_ids;
  for (const std::string& path : *kek_files) {
    const std::string name = std::filesystem::path(path).filename().string();
    if (!absl::EndsWith(name, ".key")) continue;
    absl::StatusOr<std::string> kek = ReadFileToString(path);
    if (!kek.ok()) return Report(kek.status(), data_dir);
    const std::string id(absl::StripSuffix(name, ".key"));
    absl::StatusOr<Pkcs11Token::Handle> imported =
        (*token)->ImportAesKey(absl::StrCat(kTokenKekLabelPrefix, id), *kek);
    OPENSSL_cleanse(kek->data(), kek->size());
    if (!imported.ok()) return Report(imported.status(), data_dir);
    kek_ids.push_back(id);
  }
  absl::StatusOr<Pkcs11Token::Handle> hmac =
      (*token)->ImportHmacKey(kTokenPseudonymLabel, *pseudonym_key);
  OPENSSL_cleanse(pseudonym_key->data(), pseudonym_key->size());
  absl::StatusOr<Pkcs11Token::Handle> pair = (*token)->ImportEd25519Key(
      kTokenSigningLabel, signing->first, signing->second);
  OPENSSL_cleanse(signing->first.data(), signing->first.size());
  if (!hmac.ok()) return Report(hmac.status(), data_dir);
  if (!pair.ok()) return Report(pair.status(), data_dir);
  // The token must compute what the files did.
  absl::StatusOr<std::unique_ptr<SubjectPseudonymizer>> in_token =
      SubjectPseudonymizer::InToken(*token, kTokenPseudonymLabel,
                                    keys + "/pseudonym-previous");
  absl::StatusOr<std::string> public_key =
      (*token)->Ed25519PublicKey(kTokenSigningLabel);
  if (!in_token.ok()) return Report(in_token.status(), data_dir);
  if (!public_key.ok()) return Report(public_key.status(), data_dir);
  if ((*in_token)->KeyCheck() != (*from_file)->KeyCheck() ||
      *public_key != signing->second) {
    return Report(absl::InternalError(
                      "the token's keys do not reproduce the files'; nothing "
                      "was deleted: empty the token and try again"),
                  data_dir);
  }
  v1::AuditRecord record = OfflineRecord("keys_moved_to_token");
  auto& details = *record.mutable_details();
  details["token"] = (*token)->label();
  details["kek_ids"] = absl::StrJoin(kek_ids, ",");
  details["pseudonym_key_check"] = (*in_token)->KeyCheck();
  if (absl::Status recorded =
          RecordOffline(data_dir + "/db", keys + "/kek", std::move(record));
      !recorded.ok()) {
    return Report(recorded, data_dir);
  }
  std::vector<std::string> removed = {keys + "/pseudonym.key",
                                      keys + "/audit-signing.key"};
  for (const std::string& id : kek_ids)
    removed.push_back(absl::StrCat(keys, "/kek/", id, ".key"));
  for (const std::string& file : removed) std::filesystem::remove(file);
  std::cout << "Moved " << kek_ids.size()
            << " key-encryption key(s), the pseudonym key and the audit "
               "signing key into token '"
            << (*token)->label()
            << "', and deleted their files. Start the hub with keys { "
               "pkcs11_uri pin_file } in its config, then rotate the KEK "
               "(ketenctl admin rotate-kek): backups of keys/ still hold the "
               "old files.\n";
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
  std::string pkcs11_uri, pin_file;
  restore->add_option("--pkcs11-uri", pkcs11_uri,
                      "with keys in a token: the hub's keys.pkcs11_uri");
  restore->add_option("--pin-file", pin_file,
                      "with --pkcs11-uri: a 0600 file with the token's PIN "
                      "(default: the systemd credential ketenhub-token-pin)");
  CLI::App* rekey = app.add_subcommand(
      "rekey-pseudonyms",
      "a new pseudonym key, every signal re-keyed, hub stopped (take a backup "
      "first)");
  rekey->add_option("--data-dir", data_dir, "the stopped hub's data folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  CLI::App* move = app.add_subcommand(
      "move-keys-to-token",
      "move a stopped hub's keys from files into a PKCS#11 token (HSM), "
      "checked, recorded, the files deleted");
  move->add_option("--data-dir", data_dir, "the stopped hub's data folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  move->add_option("--pkcs11-uri", pkcs11_uri,
                   "the token, as the hub's keys.pkcs11_uri")
      ->required();
  move->add_option("--pin-file", pin_file,
                   "a 0600 file with the token's user PIN (default: the "
                   "systemd credential ketenhub-token-pin)");
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
  if (*restore)
    return ketenhub::Restore(backup, data_dir, pkcs11_uri, pin_file);
  if (*rekey) return ketenhub::Rekey(data_dir);
  if (*move) return ketenhub::MoveKeysToToken(data_dir, pkcs11_uri, pin_file);
  return ketenhub::VerifyOffline(verify_flags);
}
