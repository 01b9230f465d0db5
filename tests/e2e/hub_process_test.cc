// The ketenhub and ketenctl binaries as a person runs them: a config file,
// stderr logs, signals, and a clean stop.
#include "tests/testing/hub_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/common/text_proto.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "tests/testing/soft_hsm.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::HubProcess;
using ::ketenhub::testing::PkiFile;
using ::ketenhub::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

using ::ketenhub::testing::CommandResult;
using ::ketenhub::testing::RunCommand;

class HubProcessTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const v1::HubConfig& config) {
    const std::string path = dir_.path() + "/ketenhub.textproto";
    std::ofstream(path) << config.DebugString();
    return path;
  }

  // ketenctl against the hub on `port`; as the chain director, an auditor or
  // an operator also naming a person (the example policy wants one), as a
  // person at a desk would from KETEN_USER and KETEN_USER_ROLE.
  std::string Ketenctl(int port, const std::string& args) {
    std::string person;
    for (const char* people : {"ketenregisseur", "operator"}) {
      if (absl::StartsWith(args, absl::StrCat("--as ", people)))
        person = "KETEN_USER=medewerker-1 KETEN_USER_ROLE=tester ";
    }
    // The privacy officer, who approves four-eyes requests.
    if (absl::StartsWith(args, "--as auditor"))
      person = "KETEN_USER=privacy-1 KETEN_USER_ROLE='privacy officer' ";
    return absl::StrCat(person, KETENCTL_BINARY, " --hub 127.0.0.1:", port,
                        " --pki-dir ", KETENHUB_TEST_PKI_DIR, " ", args);
  }

  // A four-eyes request (`kind`: export or erase) for the person
  // `subject_flags` names, asked by the operator's person and approved by
  // the privacy officer through ketenctl: its id, or "" (the test fails).
  std::string ApprovedRequest(int port, const std::string& kind,
                              const std::string& subject_flags,
                              const std::string& reason) {
    CommandResult asked = RunCommand(Ketenctl(
        port, absl::StrCat("--as operator --json request ", kind, " ",
                           subject_flags, " --reason '", reason, "'")));
    std::smatch id;
    if (asked.exit_code != 0 ||
        !std::regex_search(asked.output, id,
                           std::regex("\"requestId\":\"([0-9a-f-]{36})\""))) {
      ADD_FAILURE() << asked.output;
      return "";
    }
    CommandResult approved = RunCommand(
        Ketenctl(port, "--as auditor request approve " + id[1].str()));
    EXPECT_EQ(approved.exit_code, 0) << approved.output;
    EXPECT_THAT(approved.output,
                HasSubstr("approved by privacy-1 (auditor, privacy officer)"));
    return id[1].str();
  }

  static std::string Example(const std::string& partner) {
    return absl::StrCat(KETENHUB_SOURCE_DIR, "/deploy/examples/signal-",
                        partner, ".json");
  }

  TempDir dir_;
};

// The last record of the audit trail in the database at `db_path` (read
// only), or nullopt.
std::optional<v1::AuditRecord> LastAuditRecord(const std::string& db_path) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::OpenReadOnly(db_path);
  if (!db.ok()) return std::nullopt;
  absl::StatusOr<uint64_t> size = (*db)->AuditSize();
  if (!size.ok() || *size == 0) return std::nullopt;
  std::string bytes;
  if (!(*db)
           ->db()
           ->Get(rocksdb::ReadOptions(), (*db)->audit(),
                 storage_keys::EncodeSequence(*size - 1), &bytes)
           .ok()) {
    return std::nullopt;
  }
  v1::AuditRecord record;
  if (!record.ParseFromString(bytes)) return std::nullopt;
  return record;
}

TEST_F(HubProcessTest,
       ServesKetenctlAndStopsCleanlyWithoutLeakingPersonalData) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();

  for (const std::string partner :
       {"politie", "ggd", "veilig-thuis", "gemeente-hilversum"}) {
    CommandResult submit = RunCommand(
        Ketenctl(port, "--as " + partner + " submit " + Example(partner)));
    EXPECT_EQ(submit.exit_code, 0) << submit.output;
    EXPECT_THAT(submit.output, HasSubstr("is stored by the hub as"));
  }
  CommandResult json = RunCommand(
      Ketenctl(port, "--as politie --json submit " + Example("politie")));
  ASSERT_EQ(json.exit_code, 0) << json.output;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(
      json.output, id, std::regex("\"signalId\":\"([0-9a-f-]{36})\"")));
  CommandResult status =
      RunCommand(Ketenctl(port, "--as politie status " + id[1].str()));
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("sexual exploitation"));

  CommandResult outsider =
      RunCommand(Ketenctl(port, "--as outsider submit " + Example("politie")));
  EXPECT_NE(outsider.exit_code, 0);
  EXPECT_THAT(outsider.output, HasSubstr("UNAVAILABLE"));
  CommandResult denied =
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("veilig-thuis")));
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));

  // Signals with invalid content, too, must leave no trace in the logs.
  SignalClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.cert_file = PkiFile("politie.pem");
  options.key_file = PkiFile("politie-key.pem");
  options.ca_file = PkiFile("ca.pem");
  auto client = *SignalClient::Connect(options);
  v1::Signal named = testing::ValidSignal("named-1");
  named.mutable_subject()->mutable_person()->set_name(testing::kTestPersonName);
  named.mutable_subject()->mutable_person()->set_date_of_birth("1990-05-17");
  EXPECT_TRUE(client->Submit(named).ok());
  v1::Signal bad = testing::ValidSignal("bad-1");
  bad.mutable_subject()->set_bsn("999990018");
  EXPECT_FALSE(client->Submit(bad).ok());

  EXPECT_EQ(hub.Stop(SIGTERM), 0);
  const std::string log = hub.Log();
  EXPECT_THAT(log, HasSubstr("\"event\":\"stopped\""));
  for (const std::string secret :
       {"999990019", "999990032", "999990018", "Pieter Voorbeeld", "Larenseweg",
        "verdiensten", "Brigadier J. de Vries", "M. Jansen",
        testing::kTestPersonName, testing::kTestNarrative,
        testing::kTestSectionText, testing::kTestContactName}) {
    EXPECT_THAT(log, ::testing::Not(HasSubstr(secret)))
        << "log leaks: " << secret;
  }
}

// No key in a core file: the running hub's core size limit is 0, as /proc
// shows it to anyone (that it is not dumpable as well, protection_e2e_test
// checks inside).
TEST_F(HubProcessTest, TheHubsProcessMayWriteNoCoreFile) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  ASSERT_GT(hub.WaitForPort(), 0) << hub.Log();
  std::ifstream limits(absl::StrCat("/proc/", hub.pid(), "/limits"));
  std::string line, core;
  while (std::getline(limits, line)) {
    if (absl::StartsWith(line, "Max core file size")) core = line;
  }
  EXPECT_THAT(core, ::testing::MatchesRegex("Max core file size +0 +0 .*"))
      << core;
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, KetenctlWalksTheChainDirectorThrough) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  ASSERT_EQ(
      RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")))
          .exit_code,
      0);
  ASSERT_EQ(
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("ggd"))).exit_code,
      0);

  CommandResult watch =
      RunCommand(Ketenctl(port, "--as ketenregisseur watch --count 3"));
  ASSERT_EQ(watch.exit_code, 0) << watch.output;
  EXPECT_THAT(watch.output, HasSubstr("SIGNAL     politie"));
  EXPECT_THAT(watch.output, HasSubstr("SIGNAL     ggd"));
  EXPECT_THAT(watch.output,
              HasSubstr("MATCH      same person signalled by: politie"));
  std::smatch id;
  ASSERT_TRUE(std::regex_search(
      watch.output, id, std::regex("SIGNAL     politie.*id ([0-9a-f-]{36})")));

  CommandResult get =
      RunCommand(Ketenctl(port, "--as ketenregisseur get " + id[1].str()));
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_THAT(get.output, HasSubstr("(no onward sharing)"));
  EXPECT_THAT(get.output, HasSubstr("[police] released: "));
  CommandResult decide = RunCommand(Ketenctl(
      port,
      "--as ketenregisseur decide " + id[1].str() +
          " --outcome case-meeting --reason 'In casusoverleg besproken'"));
  EXPECT_EQ(decide.exit_code, 0) << decide.output;
  CommandResult status =
      RunCommand(Ketenctl(port, "--as politie status " + id[1].str()));
  EXPECT_THAT(status.output, HasSubstr("Decision: case meeting"));
  EXPECT_THAT(status.output, HasSubstr("In casusoverleg besproken"));
  // The worklist: the decided signal, then closed with a reason.
  CommandResult decided = RunCommand(
      Ketenctl(port, "--as ketenregisseur worklist --state decided"));
  EXPECT_EQ(decided.exit_code, 0) << decided.output;
  EXPECT_THAT(decided.output, HasSubstr("decided"));
  EXPECT_THAT(decided.output, HasSubstr(id[1].str()));
  EXPECT_THAT(decided.output, HasSubstr("1 of 1 signals"));
  CommandResult closed =
      RunCommand(Ketenctl(port, "--as ketenregisseur close " + id[1].str() +
                                    " --reason 'Hulp loopt via de wijkteams'"));
  EXPECT_EQ(closed.exit_code, 0) << closed.output;
  EXPECT_THAT(closed.output, HasSubstr("closed, assigned to medewerker-1"));
  CommandResult open =
      RunCommand(Ketenctl(port, "--as ketenregisseur --json worklist"));
  EXPECT_THAT(open.output, HasSubstr("\"total\":1"));
  EXPECT_THAT(open.output,
              Not(HasSubstr("\"signalId\":\"" + id[1].str() + "\"")));
  CommandResult unassigned = RunCommand(Ketenctl(
      port, "--as ketenregisseur assign " + id[1].str() + " --to 999990019"));
  EXPECT_EQ(unassigned.exit_code, 1);
  EXPECT_THAT(unassigned.output, HasSubstr("assignee: is a BSN"));
  CommandResult again = RunCommand(Ketenctl(
      port, "--as ketenregisseur watch --count 1 --timeout 2 --json --from 2"));
  EXPECT_THAT(again.output, HasSubstr("\"cursor\":\"3\""));
  CommandResult denied =
      RunCommand(Ketenctl(port, "--as politie get " + id[1].str()));
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, KetenctlAuditShowsAccessAndFindsTampering) {
  const std::string data = dir_.path() + "/data";
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(testing::TestHubConfig(data)),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  for (const std::string partner : {"politie", "ggd"}) {
    ASSERT_EQ(RunCommand(Ketenctl(port, "--as " + partner + " submit " +
                                            Example(partner)))
                  .exit_code,
              0);
  }
  CommandResult watch =
      RunCommand(Ketenctl(port, "--as ketenregisseur watch --count 3"));
  std::smatch id;
  ASSERT_TRUE(std::regex_search(
      watch.output, id, std::regex("SIGNAL     politie.*id ([0-9a-f-]{36})")))
      << watch.output;
  ASSERT_EQ(RunCommand(Ketenctl(port, "--as ketenregisseur get " + id[1].str()))
                .exit_code,
            0);

  CommandResult query = RunCommand(Ketenctl(
      port, "--as auditor audit query --bsn 999990019 --from 2020-01-01"));
  ASSERT_EQ(query.exit_code, 0) << query.output;
  EXPECT_THAT(query.output, HasSubstr("politie  submitter  submit  OK"));
  EXPECT_THAT(query.output, HasSubstr("ggd  submitter  submit  OK"));
  EXPECT_THAT(query.output,
              HasSubstr("ketenregisseur  chain director  deliver  OK"));
  EXPECT_THAT(query.output,
              HasSubstr("ketenregisseur  chain director  get_signal  OK"));
  EXPECT_THAT(query.output, HasSubstr("6 records."));
  EXPECT_THAT(query.output, ::testing::Not(HasSubstr("999990019")));
  EXPECT_THAT(
      query.output,
      HasSubstr("get_signal  OK  AVG art. 6(1)(e), 9(2)(g), 9(2)(h); Wmo 2015 "
                "art. 5.2.6; convenant Zorg- en Veiligheidshuis  by "
                "medewerker-1 (tester)"));
  // One employee's records: the chain director's person read, the auditor's
  // person queried; ketenctl's own --user names whom to look for.
  CommandResult by_user = RunCommand(
      Ketenctl(port, "--as auditor audit query --user medewerker-1 --json"));
  ASSERT_EQ(by_user.exit_code, 0) << by_user.output;
  EXPECT_THAT(by_user.output, HasSubstr("\"actingUserId\":\"medewerker-1\""));
  EXPECT_THAT(by_user.output, Not(HasSubstr("\"operation\":\"submit\"")));
  CommandResult anonymous = RunCommand(absl::StrCat(
      KETENCTL_BINARY, " --hub 127.0.0.1:", port, " --pki-dir ",
      KETENHUB_TEST_PKI_DIR, " --as auditor audit query --operation submit"));
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_THAT(anonymous.output, HasSubstr("keten-user"));
  CommandResult denied =
      RunCommand(Ketenctl(port, "--as politie audit query --bsn 999990019"));
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));

  const std::string key = data + "/keys/audit-signing.pub";
  const std::string saved = dir_.path() + "/checkpoint.json";
  CommandResult online = RunCommand(
      Ketenctl(port, "--as auditor audit verify --public-key " + key +
                         " --save " + saved + " --record 0 --record 1"));
  EXPECT_EQ(online.exit_code, 0) << online.output;
  EXPECT_THAT(online.output, HasSubstr("Verified: the hub signed a log of"));
  CommandResult extends =
      RunCommand(Ketenctl(port, "--as auditor audit verify --public-key " +
                                    key + " --checkpoint " + saved));
  EXPECT_THAT(extends.output, HasSubstr("it extends your checkpoint"));

  // A backup verifies offline, as it is and once restored, while the hub
  // runs on; a folder that holds no database gets an offline hint.
  CommandResult backup =
      RunCommand(Ketenctl(port, "--as operator admin backup audit-copy"));
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  const std::string copy = data + "-backups/audit-copy";
  CommandResult copy_verified = RunCommand(
      absl::StrCat(KETENHUB_ADMIN_BINARY, " audit verify --data-dir ", copy,
                   " --public-key ", key, " --checkpoint ", saved));
  EXPECT_EQ(copy_verified.exit_code, 0) << copy_verified.output;
  EXPECT_THAT(copy_verified.output, HasSubstr("Verified offline"));
  const std::string restored = dir_.path() + "/restored";
  std::filesystem::create_directories(restored + "/keys");
  std::filesystem::copy_file(key, restored + "/keys/audit-signing.pub");
  CommandResult no_keks =
      RunCommand(absl::StrCat(KETENHUB_ADMIN_BINARY, " restore --backup ", copy,
                              " --data-dir ", restored));
  EXPECT_EQ(no_keks.exit_code, 1);
  EXPECT_THAT(no_keks.output, HasSubstr("keys/kek holds no key-encryption"));
  EXPECT_FALSE(std::filesystem::exists(restored + "/db"));
  std::filesystem::copy(data + "/keys/kek", restored + "/keys/kek");
  CommandResult restore =
      RunCommand(absl::StrCat(KETENHUB_ADMIN_BINARY, " restore --backup ", copy,
                              " --data-dir ", restored));
  ASSERT_EQ(restore.exit_code, 0) << restore.output;
  {  // the restore left its own record at the end of the restored trail
    std::optional<v1::AuditRecord> last = LastAuditRecord(restored + "/db");
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->operation(), "restore");
    EXPECT_EQ(last->actor_partner_id(), "ketenhub-admin");
    EXPECT_EQ(last->details().at("backup"), "audit-copy");
    EXPECT_EQ(last->details().at("restored_tree_size"),
              absl::StrCat(last->index()));
    EXPECT_FALSE(last->details().at("os_user").empty());
  }
  CommandResult restored_verified = RunCommand(
      absl::StrCat(KETENHUB_ADMIN_BINARY, " audit verify --data-dir ", restored,
                   " --public-key ", key));
  EXPECT_EQ(restored_verified.exit_code, 0) << restored_verified.output;
  EXPECT_THAT(restored_verified.output, HasSubstr("Verified offline"));
  CommandResult nothing = RunCommand(
      absl::StrCat(KETENHUB_ADMIN_BINARY, " audit verify --data-dir ",
                   dir_.path(), "/nothing --public-key ", key));
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_THAT(nothing.output, HasSubstr("holds no hub database"));
  EXPECT_THAT(nothing.output, Not(HasSubstr("is the hub running")));
  CommandResult moved =
      RunCommand(absl::StrCat(KETENCTL_BINARY, " audit verify --data-dir ",
                              data, " --public-key ", key));
  EXPECT_EQ(moved.exit_code, 1);
  EXPECT_THAT(moved.output, HasSubstr("'ketenhub-admin audit verify"));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);

  const std::string offline =
      absl::StrCat(KETENHUB_ADMIN_BINARY, " audit verify --data-dir ", data,
                   " --public-key ", key, " --checkpoint ", saved);
  CommandResult intact = RunCommand(offline);
  EXPECT_EQ(intact.exit_code, 0) << intact.output;
  EXPECT_THAT(intact.output, HasSubstr("Verified offline"));
  {  // one flipped byte in record 1
    auto db = Database::Open(data + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    const std::string record_key = storage_keys::EncodeSequence(1);
    std::string value;
    ASSERT_TRUE(
        (*db)
            ->db()
            ->Get(rocksdb::ReadOptions(), (*db)->audit(), record_key, &value)
            .ok());
    value[value.size() / 3] ^= 0x20;
    ASSERT_TRUE(
        (*db)
            ->db()
            ->Put(Database::SyncWrite(), (*db)->audit(), record_key, value)
            .ok());
  }
  CommandResult tampered = RunCommand(offline);
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_THAT(tampered.output, HasSubstr("does NOT verify: record 1 "));
}

TEST_F(HubProcessTest, DataFolderHoldsNoPersonAndErasureWorksFromKetenctl) {
  const std::string data = dir_.path() + "/data";
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(testing::TestHubConfig(data)),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  std::string politie_id;
  for (const std::string partner :
       {"politie", "ggd", "veilig-thuis", "gemeente-hilversum"}) {
    CommandResult submit = RunCommand(Ketenctl(
        port, "--as " + partner + " --json submit " + Example(partner)));
    ASSERT_EQ(submit.exit_code, 0) << submit.output;
    std::smatch id;
    if (partner == "politie" &&
        std::regex_search(submit.output, id,
                          std::regex("\"signalId\":\"([0-9a-f-]{36})\""))) {
      politie_id = id[1].str();
    }
  }
  ASSERT_FALSE(politie_id.empty());
  CommandResult fresh =
      RunCommand(Ketenctl(port, "--as politie status " + politie_id));
  EXPECT_THAT(fresh.output, HasSubstr("State: received, awaiting"));
  EXPECT_THAT(fresh.output, HasSubstr("Destroyed after: "));
  const std::vector<std::string> secrets = {
      "999990019",  "999990032",   "Pieter Voorbeeld",
      "Larenseweg", "verdiensten", "Brigadier J. de Vries",
      "M. Jansen"};
  for (const std::string& secret : secrets) {  // WAL of the running hub
    EXPECT_THAT(testing::FilesHolding(data, secret), ::testing::IsEmpty())
        << secret;
  }

  CommandResult preview = RunCommand(Ketenctl(
      port, "--as operator admin retention run --dry-run --as-of 2040-01-01"));
  EXPECT_EQ(preview.exit_code, 0) << preview.output;
  EXPECT_THAT(preview.output, HasSubstr("4 signal(s) would be destroyed."));
  const std::string exported = dir_.path() + "/export.json";
  const mode_t umask_before = ::umask(022);  // a permissive operator shell
  CommandResult export_run = RunCommand(Ketenctl(
      port, "--as operator admin subject export --bsn 999990019 --request " +
                ApprovedRequest(port, "export", "--bsn 999990019",
                                "AVG-15 verzoek 2026-0041") +
                " --out " + exported));
  ASSERT_EQ(export_run.exit_code, 0) << export_run.output;
  EXPECT_THAT(export_run.output, HasSubstr("2 signal(s) and"));
  ::umask(umask_before);
  EXPECT_THAT(ReadFileToString(exported).value_or(""),
              HasSubstr("Larenseweg"));  // decrypted for the person
  struct stat exported_stat;
  ASSERT_EQ(::stat(exported.c_str(), &exported_stat), 0);
  EXPECT_EQ(exported_stat.st_mode & 0777, 0600u) << "personal data: private";
  const std::string erasure = ApprovedRequest(port, "erase", "--bsn 999990019",
                                              "AVG-17 verzoek 2026-0042");
  CommandResult erase =
      RunCommand(Ketenctl(port,
                          "--as operator admin subject erase --bsn 999990019 "
                          "--request " +
                              erasure));
  EXPECT_EQ(erase.exit_code, 0) << erase.output;
  EXPECT_THAT(erase.output, HasSubstr("Erased 2 signal(s)"));
  CommandResult destroyed =
      RunCommand(Ketenctl(port, "--as politie status " + politie_id));
  EXPECT_EQ(destroyed.exit_code, 0) << destroyed.output;
  EXPECT_THAT(destroyed.output, HasSubstr("State: destroyed "));
  EXPECT_THAT(
      destroyed.output,
      HasSubstr("under the rule \"erasure: AVG-17 verzoek 2026-0042\""));
  EXPECT_THAT(destroyed.output, Not(HasSubstr("awaiting")));
  CommandResult denied = RunCommand(Ketenctl(
      port, "--as politie admin subject erase --bsn 999990032 --request x"));
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult rotate =
      RunCommand(Ketenctl(port, "--as operator admin rotate-kek"));
  EXPECT_EQ(rotate.exit_code, 0) << rotate.output;
  EXPECT_THAT(rotate.output, HasSubstr("2 data key(s) re-wrapped"));
  EXPECT_THAT(rotate.output, HasSubstr("is no longer used"));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);

  for (const std::string& secret : secrets) {  // SST files after the flush
    EXPECT_THAT(testing::FilesHolding(data, secret), ::testing::IsEmpty())
        << secret;
    EXPECT_THAT(hub.Log(), ::testing::Not(HasSubstr(secret))) << secret;
  }
}

TEST_F(HubProcessTest, RekeyedPseudonymsKeepMatchingAndAuditContinuity) {
  const std::string data = dir_.path() + "/data";
  const std::string config = WriteConfig(testing::TestHubConfig(data));
  {
    HubProcess hub(KETENHUB_HUB_BINARY, config, dir_.path() + "/hub1.log");
    const int port = hub.WaitForPort();
    ASSERT_GT(port, 0) << hub.Log();
    ASSERT_EQ(
        RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")))
            .exit_code,
        0);
    // An advert with a phone number and no known person.
    CommandResult advert = RunCommand(
        Ketenctl(port, "--as politie submit " + Example("politie-advert")));
    ASSERT_EQ(advert.exit_code, 0) << advert.output;
    EXPECT_EQ(hub.Stop(SIGTERM), 0);
  }
  CommandResult rekey = RunCommand(absl::StrCat(
      KETENHUB_ADMIN_BINARY, " rekey-pseudonyms --data-dir ", data));
  ASSERT_EQ(rekey.exit_code, 0) << rekey.output;
  EXPECT_THAT(rekey.output, HasSubstr("Re-keyed 2 signal(s)"));
  std::optional<v1::AuditRecord> rekeyed = LastAuditRecord(data + "/db");
  ASSERT_TRUE(rekeyed.has_value());
  EXPECT_EQ(rekeyed->operation(), "rekey_pseudonyms");
  EXPECT_EQ(rekeyed->details().at("rekeyed_signals"), "2");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(
                              data + "/keys/pseudonym-previous"),
                          std::filesystem::directory_iterator()),
            1);

  HubProcess hub(KETENHUB_HUB_BINARY, config, dir_.path() + "/hub2.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();  // bound to the new key
  ASSERT_EQ(
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("ggd"))).exit_code,
      0);
  // The GGD's fieldwork knows the advert's number, written otherwise: a
  // possible match across the re-keying, naming the kind only.
  ASSERT_EQ(
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("ggd-phone")))
          .exit_code,
      0);
  CommandResult watch = RunCommand(
      Ketenctl(port, "--as ketenregisseur watch --count 6 --timeout 20"));
  EXPECT_THAT(watch.output,
              HasSubstr("MATCH      same person signalled by: politie"));
  EXPECT_THAT(watch.output,
              HasSubstr("POSSIBLE   match, shared phone (not certain; "
                        "confirm or dismiss): politie"));
  EXPECT_THAT(watch.output, Not(HasSubstr("612345678")));
  // The chain director judges it one person.
  std::smatch pair;
  ASSERT_TRUE(std::regex_search(
      watch.output, pair,
      std::regex("POSSIBLE.*politie \\([a-z ]+\\) ([0-9a-f-]{36}); ggd "
                 "\\([a-z ]+\\) ([0-9a-f-]{36})")))
      << watch.output;
  CommandResult confirmed = RunCommand(Ketenctl(
      port, "--as ketenregisseur confirm-match " + pair[2].str() + " " +
                pair[1].str() + " --reason 'zelfde nummer, zelfde vrouw'"));
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.output;
  EXPECT_THAT(confirmed.output,
              HasSubstr("Confirmed: one person, 2 signals linked"));
  CommandResult judged =
      RunCommand(Ketenctl(port, "--as ketenregisseur get " + pair[2].str()));
  EXPECT_THAT(judged.output,
              HasSubstr("Possible match with " + pair[1].str() +
                        ": confirmed, one person (by medewerker-1"));
  EXPECT_THAT(judged.output, HasSubstr("Identifier: phone +31612345678"));
  // The rights by the number, in another notation; four eyes: asked,
  // approved by the privacy officer, run.
  const std::string request_id = ApprovedRequest(
      port, "export", "--phone '0031 6 12345678'", "AVG-15 verzoek 2026-0301");
  CommandResult exported = RunCommand(
      Ketenctl(port,
               "--as operator admin subject export --phone '0031 6 12345678' "
               "--request " +
                   request_id));
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr(pair[1].str()));
  EXPECT_THAT(exported.output, HasSubstr(pair[2].str()));
  CommandResult both = RunCommand(
      Ketenctl(port,
               "--as operator admin subject export --phone 0612345678 --bsn "
               "999990019 --request " +
                   request_id));
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.output, HasSubstr("or one of --phone"));
  // The number, in none of the ways it was written, reached the log.
  for (const char* written : {"612345678", "1234 5678", "12345678", "Mila"})
    EXPECT_THAT(hub.Log(), Not(HasSubstr(written))) << written;
  CommandResult query =
      RunCommand(Ketenctl(port, "--as auditor audit query --bsn 999990019"));
  EXPECT_THAT(query.output, HasSubstr("politie  submitter  submit  OK"));
  EXPECT_THAT(query.output, HasSubstr("ggd  submitter  submit  OK"));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

int64_t RssKilobytes(pid_t pid) {
  std::smatch match;
  const std::string status =
      ReadFileToString(absl::StrCat("/proc/", pid, "/status")).value_or("");
  if (!std::regex_search(status, match, std::regex("VmRSS:\\s+([0-9]+) kB")))
    return -1;
  return std::stoll(match[1]);
}

TEST_F(HubProcessTest, StalledSubscriberDoesNotGrowTheHub) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  // A subscriber that never reads, while 10,000 signals arrive.
  ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.cert_file = PkiFile("ketenregisseur.pem");
  options.key_file = PkiFile("ketenregisseur-key.pem");
  options.ca_file = PkiFile("ca.pem");
  auto stub = v1::ChainDirectorService::NewStub(*MakeHubChannel(options));
  grpc::ClientContext stalled;
  v1::SubscribeRequest from_start;
  from_start.set_from_cursor(0);
  auto reader = stub->Subscribe(&stalled, from_start);
  const int64_t before = RssKilobytes(hub.pid());
  CommandResult load = RunCommand(absl::StrCat(
      KETENHUB_LOAD_BINARY, " --hub 127.0.0.1:", port, " --pki-dir ",
      KETENHUB_TEST_PKI_DIR, " --in-flight 64 --count 10000"));
  ASSERT_EQ(load.exit_code, 0) << load.output;
  const int64_t after = RssKilobytes(hub.pid());
  std::cout << "hub RSS with a stalled subscriber: " << before << " kB before, "
            << after << " kB after 10,000 submits\n";
  // 10,000 events of ~1 KB would be ~10 MB if buffered for the stream; the
  // memtables alone account for the ~25 MB growth measured without any
  // subscriber (bench/run-stream-bench.sh).
  EXPECT_LT(after - before, 64 * 1024);
  stalled.TryCancel();
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, KetenctlSubmitsAJsonLinesFileAsABatch) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  std::string one_line = *ReadFileToString(Example("politie"));
  absl::StrReplaceAll({{"\n", " "}}, &one_line);
  const std::string file = dir_.path() + "/backfill.jsonl";
  {
    std::ofstream out(file);
    for (int i = 0; i < 5; ++i) {
      out << absl::StrReplaceAll(one_line, {{"POL-2026-000417",
                                             absl::StrCat("POL-BACKFILL-", i)}})
          << "\n";
    }
    out << "\n{ not json\n";  // line 7
    out << absl::StrReplaceAll(one_line, {{"999990019", "123456789"}})
        << "\n";  // line 8: fails the 11-proef
  }
  CommandResult batch =
      RunCommand(Ketenctl(port, "--as politie submit --batch " + file));
  EXPECT_EQ(batch.exit_code, 1) << batch.output;
  EXPECT_THAT(batch.output, HasSubstr("Signal POL-BACKFILL-4 is stored"));
  EXPECT_THAT(batch.output,
              HasSubstr("INVALID_ARGUMENT: " + file + ":7: not a signal"));
  EXPECT_THAT(batch.output,
              HasSubstr("INVALID_ARGUMENT: " + file + ":8: subject.bsn"));
  EXPECT_THAT(batch.output, HasSubstr("5 of 7 signals submitted."));
  EXPECT_THAT(batch.output, HasSubstr("6 of 6 signals answered"));
  EXPECT_THAT(batch.output, Not(HasSubstr("123456789")));  // no BSN echoed
  // Sent again, one call each: the same signals, nothing new.
  CommandResult again =
      RunCommand(Ketenctl(port, "--as politie submit " + file));
  EXPECT_THAT(again.output, HasSubstr("5 of 7 signals submitted."));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
  EXPECT_EQ(testing::TestHub::CountStoredSignalsIn(dir_.path() + "/data"), 5);
}

TEST_F(HubProcessTest, TheLoadGeneratorRunsUnaryAndBatch) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  for (const std::string mode : {"", " --batch 16"}) {
    CommandResult load = RunCommand(absl::StrCat(
        KETENHUB_LOAD_BINARY, " --hub 127.0.0.1:", port, " --pki-dir ",
        KETENHUB_TEST_PKI_DIR, " --in-flight 64 --count 600 --json", mode));
    ASSERT_EQ(load.exit_code, 0) << load.output;
    EXPECT_THAT(load.output, HasSubstr("\"ok\":600,\"errors\":0")) << mode;
    EXPECT_THAT(load.output, HasSubstr(mode.empty() ? "\"mode\":\"unary\""
                                                    : "\"mode\":\"batch16\""));
  }
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, SighupReloadsThePolicyOrKeepsTheOldOne) {
  const std::string policy = dir_.path() + "/policy.textproto";
  const std::string example = *ReadFileToString(
      absl::StrCat(KETENHUB_SOURCE_DIR, "/deploy/policy-example.textproto"));
  std::ofstream(policy) << example;
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.set_policy_file(policy);
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(config),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();

  std::ofstream(policy, std::ios::trunc) << "partners { id: \"broken\" }\n";
  kill(hub.pid(), SIGHUP);
  ASSERT_TRUE(hub.WaitForLog("\"event\":\"policy_reload_refused\""))
      << hub.Log();
  EXPECT_THAT(hub.Log(), HasSubstr("partners[0] (broken)"));
  EXPECT_EQ(
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("ggd"))).exit_code,
      0);

  std::ofstream(policy, std::ios::trunc) << example << "\n# reviewed\n";
  kill(hub.pid(), SIGHUP);
  ASSERT_TRUE(hub.WaitForLog("\"event\":\"policy_reloaded\"")) << hub.Log();
  // The hub's own records (no partner, no role) read as any other.
  CommandResult reloads = RunCommand(
      Ketenctl(port, "--as auditor audit query --operation reload_policy"));
  EXPECT_EQ(reloads.exit_code, 0) << reloads.output;
  EXPECT_THAT(reloads.output, HasSubstr("reload_policy  OK"));
  EXPECT_THAT(reloads.output, HasSubstr("reload_policy  INVALID_ARGUMENT"));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

// The hub's log is one JSON object per line, also when a request's bytes make
// the protobuf library complain, and never holds the bytes themselves.
TEST_F(HubProcessTest, TheLogStaysJsonWhenARequestDoesNotParse) {
  HubProcess hub(KETENHUB_HUB_BINARY,
                 WriteConfig(testing::TestHubConfig(dir_.path() + "/data")),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  v1::SubmitRequest request;
  *request.mutable_signal() = testing::ValidSignal("log-utf8");
  request.mutable_signal()->set_summary("Zx@@");
  std::string bytes = request.SerializeAsString();
  bytes.replace(bytes.find("Zx@@"), 4, "Zx\xc3\x28");
  const grpc::Status status =
      testing::RawUnaryCall(testing::ClientOptionsFor("politie", port),
                            "/ketenhub.v1.SignalService/Submit", bytes);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(hub.WaitForLog("\"event\":\"submit\""));
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
  const std::string log = hub.Log();
  EXPECT_THAT(log, Not(HasSubstr("libprotobuf")));
  EXPECT_THAT(log, Not(HasSubstr("Zx")));
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}"))
        << line;
  }
}

// Fail closed, and say why: a CRL past its nextUpdate at start is logged at
// start and, rate-limited, with the refusals it causes.
TEST_F(HubProcessTest, AnOutOfDateRevocationListIsLoggedAtStartAndOnRefusal) {
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.mutable_tls()->clear_crl_files();
  config.mutable_tls()->add_crl_files(PkiFile("crl-stale.pem"));
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(config),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  const std::string log = hub.Log();
  const size_t unusable = log.find("\"event\":\"revocation_list_unusable\"");
  ASSERT_NE(unusable, std::string::npos) << log;
  EXPECT_LT(unusable, log.find("\"event\":\"listening\""));
  EXPECT_THAT(log, HasSubstr("past its nextUpdate"));
  CommandResult submit =
      RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")));
  EXPECT_NE(submit.exit_code, 0);
  EXPECT_THAT(submit.output, HasSubstr("out of date"));
  EXPECT_TRUE(hub.WaitForLog("\"refusing\":true")) << hub.Log();
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

// ... and once the operator renews the CRL and the hub re-reads it, the hub
// is ready again and serves.
TEST_F(HubProcessTest, ARenewedRevocationListMakesTheHubServeAgain) {
  const std::string crl = dir_.path() + "/partners.crl";
  std::filesystem::copy_file(PkiFile("crl-stale.pem"), crl);
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.mutable_tls()->clear_crl_files();
  config.mutable_tls()->add_crl_files(crl);
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(config),
                 dir_.path() + "/hub.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  EXPECT_NE(
      RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")))
          .exit_code,
      0);
  std::filesystem::copy_file(PkiFile("crl.pem"), crl,
                             std::filesystem::copy_options::overwrite_existing);
  kill(hub.pid(), SIGHUP);
  ASSERT_TRUE(hub.WaitForLog("\"event\":\"revocation_list_usable\""))
      << hub.Log();
  CommandResult submit =
      RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")));
  EXPECT_EQ(submit.exit_code, 0) << submit.output;
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, MissingCertificateExitsNamingTheField) {
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.mutable_tls()->set_cert_file(dir_.path() + "/absent.pem");
  CommandResult run = RunCommand(
      absl::StrCat(KETENHUB_HUB_BINARY, " --config ", WriteConfig(config)));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("tls.cert_file: cannot read"));
}

TEST_F(HubProcessTest, MalformedConfigExitsNamingTheLine) {
  const std::string path = dir_.path() + "/bad.textproto";
  std::ofstream(path)
      << "listen_address: \"127.0.0.1:0\"\ntls { cert_fil: \"x\" }\n";
  CommandResult run =
      RunCommand(absl::StrCat(KETENHUB_HUB_BINARY, " --config ", path));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("line 2"));
}

TEST_F(HubProcessTest, MissingPolicyExitsNamingTheFieldAndTheCause) {
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.set_policy_file(dir_.path() + "/no-such-policy.textproto");
  CommandResult run = RunCommand(
      absl::StrCat(KETENHUB_HUB_BINARY, " --config ", WriteConfig(config)));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("policy_file: "));
  EXPECT_THAT(run.output, HasSubstr("(No such file or directory)"));
}

// What a person mistypes gets a plain answer and exit code 1: the command
// they meant, the form a value takes, the values an enum has, and where in
// which file a signal is wrong (once).
TEST_F(HubProcessTest, KetenctlExplainsWhatItDoesNotUnderstand) {
  const std::string k = KETENCTL_BINARY;
  auto run = [](const std::string& command) { return RunCommand(command); };
  CommandResult typo = run(k + " stauts abc");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.output, HasSubstr("'stauts' is not a ketenctl command; "
                                     "did you mean 'status'?"));
  CommandResult deep = run(k + " admin relaod-policy");
  EXPECT_EQ(deep.exit_code, 1);
  EXPECT_THAT(deep.output, HasSubstr("did you mean 'reload-policy'?"));
  CommandResult no_port = run(k + " --hub localhost status abc");
  EXPECT_EQ(no_port.exit_code, 1);
  EXPECT_THAT(no_port.output, HasSubstr("--hub: give HOST:PORT"));
  CommandResult timeout = run(k + " --timeout -1 status abc");
  EXPECT_EQ(timeout.exit_code, 1);
  EXPECT_THAT(timeout.output, HasSubstr("--timeout: give the seconds"));
  CommandResult outcome =
      run(k + " --as ketenregisseur decide abc --outcome x --reason y");
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.output, HasSubstr("case-meeting,handed-to-partner"));
  CommandResult help = run(k + " status --help");
  EXPECT_EQ(help.exit_code, 0);

  const std::string bad_enum = dir_.path() + "/urgent.json";
  std::ofstream(bad_enum) << "{\"clientRef\": \"x\", \"urgency\": \"URGENT\"}";
  const std::string pki = absl::StrCat(" --pki-dir ", KETENHUB_TEST_PKI_DIR);
  CommandResult enum_value =
      run(k + pki + " --as politie --hub 127.0.0.1:1 submit " + bad_enum);
  EXPECT_EQ(enum_value.exit_code, 1);
  EXPECT_THAT(enum_value.output,
              HasSubstr("valid values: URGENCY_ROUTINE, URGENCY_ELEVATED, "
                        "URGENCY_ACUTE"));
  const std::string lines = dir_.path() + "/two.json";
  std::ofstream(lines) << "{\"clientRef\": \"a\"}\n{\"clientRef\": \"b\"}\n";
  CommandResult batch_json =
      run(k + pki + " --as politie --hub 127.0.0.1:1 submit --batch " + lines);
  EXPECT_EQ(batch_json.exit_code, 1);
  EXPECT_THAT(batch_json.output, HasSubstr("JSON Lines"));
  const std::string jsonl = dir_.path() + "/two.jsonl";
  std::ofstream(jsonl) << "{\"clientRef\": \"a\"}\n{\"urgency\": 7.5}\n";
  CommandResult line = run(
      k + pki + " --as politie --hub 127.0.0.1:1 --timeout 1 submit " + jsonl);
  EXPECT_EQ(line.exit_code, 1);
  const std::string where = jsonl + ":2";
  const size_t first = line.output.find(where);
  ASSERT_NE(first, std::string::npos) << line.output;
  EXPECT_EQ(line.output.find(where, first + 1), std::string::npos)
      << line.output;
}

// Keys cannot be swapped silently: a hub whose KEK or audit signing key is
// gone, or replaced, refuses to start instead of making a new one (which
// would leave every signal unreadable, or every saved checkpoint
// unverifiable), says which and what to do, and leaves no new key behind.
TEST_F(HubProcessTest, AMissingOrReplacedKeyStopsTheHub) {
  const std::string data = dir_.path() + "/data";
  const std::string config = WriteConfig(testing::TestHubConfig(data));
  {
    HubProcess hub(KETENHUB_HUB_BINARY, config, dir_.path() + "/hub.log");
    const int port = hub.WaitForPort();
    ASSERT_GT(port, 0) << hub.Log();
    ASSERT_EQ(
        RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")))
            .exit_code,
        0);
    EXPECT_EQ(hub.Stop(SIGTERM), 0);  // and signs a checkpoint as it stops
  }
  // A hub that starts when it must not is stopped after 20 s (exit 124).
  const std::string start =
      absl::StrCat("timeout 20 ", KETENHUB_HUB_BINARY, " --config ", config);
  const std::string keys = data + "/keys";
  namespace fs = std::filesystem;

  fs::rename(keys + "/kek", dir_.path() + "/kek-aside");
  CommandResult no_kek = RunCommand(start);
  EXPECT_EQ(no_kek.exit_code, 1) << no_kek.output;
  EXPECT_THAT(no_kek.output, HasSubstr("keys/kek: no key-encryption key"));
  EXPECT_THAT(no_kek.output, HasSubstr("wrapped by kek-"));
  EXPECT_FALSE(fs::exists(keys + "/kek/current")) << "a new KEK was made";
  fs::remove_all(keys + "/kek");
  fs::rename(dir_.path() + "/kek-aside", keys + "/kek");

  fs::rename(keys + "/audit-signing.key", dir_.path() + "/signing-aside");
  CommandResult no_signer = RunCommand(start);
  EXPECT_EQ(no_signer.exit_code, 1) << no_signer.output;
  EXPECT_THAT(no_signer.output,
              HasSubstr("keys/audit-signing.key: missing, but this trail's "
                        "checkpoints are signed by key id"));
  EXPECT_FALSE(fs::exists(keys + "/audit-signing.key"));

  {  // another hub's key in its place
    const std::string other = dir_.path() + "/other";
    const std::string other_config = dir_.path() + "/other.textproto";
    std::ofstream(other_config) << testing::TestHubConfig(other).DebugString();
    HubProcess hub(KETENHUB_HUB_BINARY, other_config,
                   dir_.path() + "/other.log");
    ASSERT_GT(hub.WaitForPort(), 0) << hub.Log();
    EXPECT_EQ(hub.Stop(SIGTERM), 0);
    fs::copy_file(other + "/keys/audit-signing.key",
                  keys + "/audit-signing.key");
  }
  CommandResult replaced = RunCommand(start);
  EXPECT_EQ(replaced.exit_code, 1) << replaced.output;
  EXPECT_THAT(replaced.output,
              HasSubstr("not the key that signed this trail's checkpoints"));

  fs::remove(keys + "/audit-signing.key");
  fs::rename(dir_.path() + "/signing-aside", keys + "/audit-signing.key");
  {
    HubProcess again(KETENHUB_HUB_BINARY, config, dir_.path() + "/again.log");
    EXPECT_GT(again.WaitForPort(), 0) << again.Log();
    EXPECT_EQ(again.Stop(SIGTERM), 0);
  }

  // A key that is really lost: the operator says so explicitly, for one
  // start, and the trail records it. Asked when nothing is lost, it refuses.
  CommandResult not_lost =
      RunCommand(absl::StrCat(start, " --replace-lost-signing-key 'zomaar'"));
  EXPECT_EQ(not_lost.exit_code, 1) << not_lost.output;
  EXPECT_THAT(not_lost.output,
              HasSubstr("is the key that signed this trail's checkpoints"));
  fs::remove(keys + "/audit-signing.key");
  CommandResult override_start = RunCommand(absl::StrCat(
      "timeout -s TERM 4 ", KETENHUB_HUB_BINARY, " --config ", config,
      " --replace-lost-signing-key 'sleutel verloren, incident 2026-17'"));
  EXPECT_EQ(override_start.exit_code, 124) << override_start.output;
  EXPECT_THAT(override_start.output, HasSubstr("\"signing_key_replaced\""));
  HubProcess after(KETENHUB_HUB_BINARY, config, dir_.path() + "/after.log");
  const int port = after.WaitForPort();
  ASSERT_GT(port, 0) << after.Log();  // the new key is the trail's key now
  CommandResult recorded = RunCommand(Ketenctl(
      port,
      "--as auditor --json audit query --operation signing_key_replaced"));
  EXPECT_EQ(recorded.exit_code, 0) << recorded.output;
  EXPECT_THAT(recorded.output,
              HasSubstr("\"reason\":\"sleutel verloren, incident 2026-17\""));
  EXPECT_THAT(recorded.output, HasSubstr("\"previous_key_id\""));
  EXPECT_EQ(after.Stop(SIGTERM), 0);

  // Likewise a lost KEK: refused when none is lost; accepted, with a new
  // KEK, and recorded when the operator says so.
  CommandResult kek_not_lost =
      RunCommand(absl::StrCat(start, " --replace-lost-kek 'zomaar'"));
  EXPECT_EQ(kek_not_lost.exit_code, 1) << kek_not_lost.output;
  EXPECT_THAT(kek_not_lost.output, HasSubstr("no key-encryption key is lost"));
  fs::remove_all(keys + "/kek");
  CommandResult kek_start = RunCommand(absl::StrCat(
      "timeout -s TERM 4 ", KETENHUB_HUB_BINARY, " --config ", config,
      " --replace-lost-kek 'KEK verloren, incident 2026-18'"));
  EXPECT_EQ(kek_start.exit_code, 124) << kek_start.output;
  EXPECT_THAT(kek_start.output, HasSubstr("\"kek_replaced\""));
  HubProcess last(KETENHUB_HUB_BINARY, config, dir_.path() + "/last.log");
  const int last_port = last.WaitForPort();
  ASSERT_GT(last_port, 0) << last.Log();  // the new KEK is current now
  CommandResult kek_recorded = RunCommand(Ketenctl(
      last_port, "--as auditor --json audit query --operation kek_replaced"));
  EXPECT_THAT(kek_recorded.output,
              HasSubstr("\"reason\":\"KEK verloren, incident 2026-18\""));
  EXPECT_THAT(kek_recorded.output, HasSubstr("\"lost_kek_ids\":\"kek-"));
  EXPECT_EQ(last.Stop(SIGTERM), 0);
}

TEST_F(HubProcessTest, BadPolicyExitsNamingThePartner) {
  const std::string policy = dir_.path() + "/policy.textproto";
  std::ofstream(policy)
      << "partners { id: \"x\" name: \"X\" oin: \"1\" roles: ROLE_AUDITOR "
         "regime: DATA_REGIME_AVG }\n";
  v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
  config.set_policy_file(policy);
  CommandResult run = RunCommand(
      absl::StrCat(KETENHUB_HUB_BINARY, " --config ", WriteConfig(config)));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("partners[0] (x): oin"));
}

TEST_F(HubProcessTest, KetenctlPolicyCheckValidatesOffline) {
  CommandResult good = RunCommand(
      absl::StrCat(KETENCTL_BINARY, " policy check ", KETENHUB_SOURCE_DIR,
                   "/deploy/policy-example.textproto"));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_THAT(good.output, HasSubstr("is valid: 8 partners, 8 routes"));
  const std::string bad = dir_.path() + "/bad.textproto";
  std::ofstream(bad) << "partners { id: \"x\" }\n";
  CommandResult refused =
      RunCommand(absl::StrCat(KETENCTL_BINARY, " policy check ", bad));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, HasSubstr("partners[0] (x)"));
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// An existing hub moves its keys from files into a PKCS#11 token
// (SoftHSM2): the files are gone, the trail continues under the same
// signing key (an auditor's saved checkpoint still extends), matching
// continues under the same pseudonym key, the signals open, and a KEK
// rotation then makes the new KEK in the token.
TEST_F(HubProcessTest, AHubMovesItsKeysFromFilesIntoAToken) {
  testing::SoftHsm hsm;
  const std::string data = dir_.path() + "/data";
  const std::string saved = dir_.path() + "/checkpoint.json";
  std::string politie_id;
  {
    HubProcess hub(KETENHUB_HUB_BINARY,
                   WriteConfig(testing::TestHubConfig(data)),
                   dir_.path() + "/files.log");
    const int port = hub.WaitForPort();
    ASSERT_GT(port, 0) << hub.Log();
    CommandResult submitted =
        RunCommand(Ketenctl(port, "--as politie submit " + Example("politie")));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
    std::smatch id;
    ASSERT_TRUE(std::regex_search(submitted.output, id,
                                  std::regex("as ([0-9a-f-]{36})")));
    politie_id = id[1].str();
    CommandResult verified = RunCommand(
        Ketenctl(port, "--as auditor audit verify --public-key " + data +
                           "/keys/audit-signing.pub --save " + saved));
    ASSERT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_EQ(hub.Stop(SIGTERM), 0);
  }
  const std::string move = absl::StrCat(
      KETENHUB_ADMIN_BINARY, " move-keys-to-token --data-dir ", data,
      " --pkcs11-uri '", hsm.uri(), "' --pin-file ", hsm.pin_file());
  CommandResult moved = RunCommand(move);
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_THAT(moved.output, HasSubstr("into token 'ketenhub-test'"));
  for (const char* file : {"pseudonym.key", "audit-signing.key"})
    EXPECT_FALSE(std::filesystem::exists(data + "/keys/" + file)) << file;
  for (const auto& entry :
       std::filesystem::directory_iterator(data + "/keys/kek"))
    EXPECT_NE(entry.path().extension(), ".key") << entry.path();
  std::optional<v1::AuditRecord> record = LastAuditRecord(data + "/db");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->operation(), "keys_moved_to_token");
  // A second move finds the token taken.
  EXPECT_THAT(RunCommand(move).output, HasSubstr("already holds"));

  v1::HubConfig in_token = testing::TestHubConfig(data);
  in_token.mutable_keys()->set_pkcs11_uri(hsm.uri());
  in_token.mutable_keys()->set_pin_file(hsm.pin_file());
  HubProcess hub(KETENHUB_HUB_BINARY, WriteConfig(in_token),
                 dir_.path() + "/token.log");
  const int port = hub.WaitForPort();
  ASSERT_GT(port, 0) << hub.Log();
  CommandResult read =
      RunCommand(Ketenctl(port, "--as ketenregisseur get " + politie_id));
  EXPECT_EQ(read.exit_code, 0) << read.output;
  EXPECT_THAT(read.output, HasSubstr("999990019"));
  ASSERT_EQ(
      RunCommand(Ketenctl(port, "--as ggd submit " + Example("ggd"))).exit_code,
      0);
  CommandResult watch = RunCommand(
      Ketenctl(port, "--as ketenregisseur watch --count 3 --timeout 20"));
  EXPECT_THAT(watch.output,
              HasSubstr("MATCH      same person signalled by: politie"));
  CommandResult extends = RunCommand(
      Ketenctl(port, "--as auditor audit verify --public-key " + data +
                         "/keys/audit-signing.pub --checkpoint " + saved));
  EXPECT_THAT(extends.output, HasSubstr("it extends your checkpoint"))
      << extends.output;
  CommandResult rotated =
      RunCommand(Ketenctl(port, "--as operator admin rotate-kek"));
  EXPECT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_THAT(rotated.output, HasSubstr("2 data key(s) re-wrapped"));
  CommandResult backup =
      RunCommand(Ketenctl(port, "--as operator admin backup in-token"));
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  EXPECT_EQ(hub.Stop(SIGTERM), 0);
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(data + "/keys")) {
    if (entry.is_regular_file())
      EXPECT_NE(entry.path().extension(), ".key") << entry.path();
  }

  // The backup restores onto the token, and the restored hub reads it.
  const std::string restored = dir_.path() + "/restored";
  std::filesystem::create_directories(restored);
  std::filesystem::copy(data + "/keys", restored + "/keys",
                        std::filesystem::copy_options::recursive);
  CommandResult restore = RunCommand(
      absl::StrCat(KETENHUB_ADMIN_BINARY, " restore --backup ", data,
                   "-backups/in-token --data-dir ", restored, " --pkcs11-uri '",
                   hsm.uri(), "' --pin-file ", hsm.pin_file()));
  ASSERT_EQ(restore.exit_code, 0) << restore.output;
  v1::HubConfig on_restored = in_token;
  on_restored.set_data_dir(restored);
  HubProcess again(KETENHUB_HUB_BINARY, WriteConfig(on_restored),
                   dir_.path() + "/restored.log");
  const int restored_port = again.WaitForPort();
  ASSERT_GT(restored_port, 0) << again.Log();
  CommandResult reread = RunCommand(
      Ketenctl(restored_port, "--as ketenregisseur get " + politie_id));
  EXPECT_EQ(reread.exit_code, 0) << reread.output;
  EXPECT_THAT(reread.output, HasSubstr("999990019"));
}

}  // namespace
}  // namespace ketenhub
