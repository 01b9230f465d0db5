// ketenhub_audit_bench: fills a hub data folder with audit records (through
// the store's commit pipeline, as the hub writes them), then measures what
// auditors wait for: a query for one person among all records, and the
// offline verification of the whole log.
//
//   ketenhub_audit_bench --data-dir DIR [--records 1000000] [--json]
//
// The folder can then serve a real hub: the person is BSN 999990019 in that
// folder's pseudonym key.
#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/audit/checkpoint_signer.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/storage/audit_verify.h"
#include "server/storage/signal_store.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

constexpr char kTargetBsn[] = "999990019";
constexpr int kTargetEvery = 50000;  // one record in 50,000 is about them
constexpr size_t kBatch = 1000;

const char* const kOperations[] = {"submit",     "deliver", "get_signal",
                                   "get_status", "ack",     "decide"};
const char* const kActors[] = {"politie", "ggd", "veilig-thuis",
                               "gemeente-hilversum", "ketenregisseur"};

v1::AuditRecord MakeRecord(uint64_t i, const std::string& subject) {
  v1::AuditRecord r;
  r.set_trace_id(absl::StrFormat("%032x", i * 2654435761u + 1));
  r.set_span_id(absl::StrFormat("%016x", i + 1));
  r.set_operation(kOperations[i % 6]);
  SetTimestamp(absl::Now(), r.mutable_start_time());
  r.set_status_code(i % 97 == 0 ? "PERMISSION_DENIED" : "OK");
  r.set_actor_oin(absl::StrFormat("000000990000000000%02d", i % 5 + 1));
  r.set_actor_partner_id(kActors[i % 5]);
  r.set_actor_role("ROLE_SUBMITTER");
  r.set_peer_certificate_sha256(std::string(64, 'a' + i % 6));
  r.set_processing_activity_id("zvh-signalen-ontvangen");
  r.set_legal_basis("AVG art. 6(1)(e); convenant Zorg- en Veiligheidshuis");
  r.set_data_subject_pseudonym(subject);
  r.add_signal_ids(absl::StrFormat("%08x-0000-4000-8000-%012x", i, i));
  r.set_policy_version(std::string(64, 'c'));
  return r;
}

struct Figures {
  double fill_seconds = 0, query_ms_median = 0, query_ms_max = 0;
  size_t query_results = 0;
  double verify_seconds = 0;
  uint64_t records = 0;
};

int Run(const std::string& data_dir, uint64_t records, bool json) {
  std::filesystem::create_directories(data_dir + "/keys");
  auto pseudonymizer =
      SubjectPseudonymizer::OpenOrCreate(data_dir + "/keys/pseudonym.key");
  auto signer =
      CheckpointSigner::OpenOrCreate(data_dir + "/keys/audit-signing.key",
                                     data_dir + "/keys/audit-signing.pub");
  auto store = SignalStore::Open({data_dir + "/db", 256, nullptr});
  if (!pseudonymizer.ok() || !signer.ok() || !store.ok()) {
    std::cerr << "cannot open " << data_dir << "\n";
    return 1;
  }
  v1::Subject target;
  target.set_bsn(kTargetBsn);
  const std::string target_pseudonym =
      SubjectPseudonym(*(*pseudonymizer)->SubjectKey(target));
  Figures figures;
  figures.records = records;

  // Fill, keeping a few batches in flight as concurrent callers would.
  const absl::Time fill_start = absl::Now();
  std::vector<std::future<absl::Status>> pending;
  for (uint64_t i = 0; i < records;) {
    std::vector<v1::AuditRecord> batch;
    for (; batch.size() < kBatch && i < records; ++i) {
      const std::string subject =
          i % kTargetEvery == 7 ? target_pseudonym
                                : absl::StrFormat("%064x", i % 200000 + 1);
      batch.push_back(MakeRecord(i, subject));
    }
    auto promise = std::make_shared<std::promise<absl::Status>>();
    pending.push_back(promise->get_future());
    (*store)->audit().Record(
        std::move(batch), [promise](absl::Status s) { promise->set_value(s); });
    if (pending.size() >= 8) {
      if (!pending.front().get().ok()) return 1;
      pending.erase(pending.begin());
    }
    if (!json && i % 100000 == 0) std::cerr << i << " records written...\r";
  }
  for (auto& f : pending) {
    if (!f.get().ok()) return 1;
  }
  figures.fill_seconds = absl::ToDoubleSeconds(absl::Now() - fill_start);

  // Query for one person, as the hub does for an auditor's --bsn.
  AuditFilter filter;
  filter.subject_pseudonym = target_pseudonym;
  std::vector<double> times;
  for (int run = 0; run < 21; ++run) {
    const absl::Time start = absl::Now();
    absl::StatusOr<AuditPage> page =
        (*store)->audit().Query(filter, 0, 1000, 100000);
    times.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (!page.ok()) return 1;
    figures.query_results = page->records.size();
  }
  std::sort(times.begin(), times.end());
  figures.query_ms_median = times[times.size() / 2];
  figures.query_ms_max = times.back();

  // A signed checkpoint, then offline verification of everything.
  const AuditTrail::TreeHead head = (*store)->audit().Head();
  std::promise<absl::Status> stored;
  (*store)->audit().StoreCheckpoint(
      (*signer)->Sign(head.size, head.root, absl::Now()),
      [&](absl::Status s) { stored.set_value(s); });
  if (!stored.get_future().get().ok()) return 1;
  store->reset();
  const absl::Time verify_start = absl::Now();
  absl::StatusOr<AuditVerification> verified = VerifyAuditLog(
      data_dir + "/db", (*signer)->public_key_pem(), {}, nullptr);
  figures.verify_seconds = absl::ToDoubleSeconds(absl::Now() - verify_start);
  if (!verified.ok() || !verified->problem.empty()) {
    std::cerr << "verification failed\n";
    return 1;
  }
  if (json) {
    std::cout << absl::StrFormat(
        "{\"records\":%d,\"fill_s\":%.2f,\"query_one_subject_ms_median\":%.3f,"
        "\"query_one_subject_ms_max\":%.3f,\"query_results\":%d,"
        "\"verify_offline_s\":%.2f}\n",
        figures.records, figures.fill_seconds, figures.query_ms_median,
        figures.query_ms_max, figures.query_results, figures.verify_seconds);
  } else {
    std::cout << absl::StrFormat(
        "audit trail of %d records (filled in %.1f s, %.0f records/s)\n"
        "  query one person (%d records): median %.2f ms, max %.2f ms over 21 "
        "runs\n"
        "  offline verification, whole tree recomputed: %.2f s (%.0f "
        "records/s), %d checkpoint(s) match\n",
        figures.records, figures.fill_seconds,
        figures.records / figures.fill_seconds, figures.query_results,
        figures.query_ms_median, figures.query_ms_max, figures.verify_seconds,
        figures.records / figures.verify_seconds, verified->checkpoints);
  }
  return 0;
}

}  // namespace
}  // namespace ketenhub

int main(int argc, char** argv) {
  CLI::App app{"ketenhub_audit_bench: audit query and verification figures"};
  std::string data_dir;
  uint64_t records = 1000000;
  bool json = false;
  app.add_option("--data-dir", data_dir, "a new, empty hub data folder")
      ->required();
  app.add_option("--records", records, "audit records to write")
      ->capture_default_str();
  app.add_flag("--json", json, "one JSON line for machines");
  CLI11_PARSE(app, argc, argv);
  return ketenhub::Run(data_dir, records, json);
}
