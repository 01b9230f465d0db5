#include "server/service/hub_metrics.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/common/metrics.h"
#include "server/policy/call_roles.h"
#include "server/service/event_stream.h"

namespace ketenhub {
namespace {

constexpr char kStreams[] = "ketenhub_stream_subscribers";
constexpr char kAuditRecords[] = "ketenhub_audit_records";
constexpr char kCertificateDays[] = "ketenhub_certificate_expiry_days";
constexpr char kSubscriberLag[] = "ketenhub_subscriber_lag_events";
constexpr char kEventsHeld[] = "ketenhub_stream_events_held_max";

// Days until the first certificate in the PEM file at `path` expires
// (negative once expired); nullopt when it cannot be read.
std::optional<double> DaysLeft(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return std::nullopt;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) return std::nullopt;
  int days = 0, seconds = 0;
  const bool ok =
      ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1;
  X509_free(cert);
  if (!ok) return std::nullopt;
  return days + seconds / 86400.0;
}

}  // namespace

void RegisterHubMetrics(const v1::HubConfig& config, const SignalStore* store,
                        PartnerLimits* limits, const CurrentPolicy* policy) {
  Metrics& metrics = HubMetrics();
  metrics.DeclareCounter("ketenhub_requests_total",
                         "Calls by operation, partner and gRPC status code.");
  metrics.DeclareCounter("ketenhub_submits_total",
                         "Submitted signals by partner, category and status.");
  metrics.DeclareHistogram("ketenhub_commit_group_size",
                           "Mutations per synced RocksDB write.",
                           {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  metrics.DeclareHistogram(
      "ketenhub_commit_write_seconds",
      "Time of one synced RocksDB write (the fsync included).",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
       0.25, 1});
  metrics.DeclareGauge("ketenhub_audit_checkpoint_tree_size",
                       "Audit records covered by the last signed checkpoint.");
  metrics.DeclareGauge("ketenhub_audit_checkpoint_time_seconds",
                       "Unix time of the last signed audit checkpoint.");
  metrics.DeclareCounter("ketenhub_retention_destroyed_total",
                         "Signals destroyed by the retention sweeper.");
  metrics.DeclareGaugeReader(
      kStreams, "Open chain-director streams per partner.", [limits] {
        std::vector<Metrics::Sample> samples;
        for (const auto& [partner, open] : limits->OpenStreams())
          samples.push_back({{{"partner", partner}}, double(open)});
        return samples;
      });
  metrics.DeclareGaugeReader(
      kEventsHeld,
      "The most events one chain-director stream has held in memory since "
      "the start (about three batches of 256 at most, however slowly its "
      "subscriber reads).",
      [] {
        return std::vector<Metrics::Sample>{
            {{}, double(EventStream::MostEventsHeld())}};
      });
  metrics.DeclareGaugeReader(kAuditRecords,
                             "Records in the audit log (its Merkle tree size).",
                             [store] {
                               return std::vector<Metrics::Sample>{
                                   {{}, double(store->audit().Head().size)}};
                             });
  metrics.DeclareGaugeReader(
      kSubscriberLag,
      "Events committed after the last one each receiver (chain director, care "
      "coordinator) acknowledged "
      "(cursor distance: every receiver's events count).",
      [store, policy] {
        std::vector<Metrics::Sample> samples;
        const uint64_t last = store->LastCursor();
        std::shared_ptr<const AccessPolicy> current = policy->Get();
        for (const v1::Partner& partner : current->policy().partners()) {
          if (!CallRoles::Receiver().Of(partner).ok()) continue;
          absl::StatusOr<uint64_t> acked = store->AckedCursor(partner.id());
          if (!acked.ok()) continue;
          samples.push_back({{{"partner", partner.id()}},
                             double(last > *acked ? last - *acked : 0)});
        }
        return samples;
      });
  const std::string cert = config.tls().cert_file();
  const std::string ca = config.tls().ca_file();
  metrics.DeclareGaugeReader(
      kCertificateDays, "Days until a certificate expires (negative: expired).",
      [cert, ca] {
        std::vector<Metrics::Sample> samples;
        for (const auto& [name, path] :
             {std::pair<std::string, std::string>{"hub", cert}, {"ca", ca}}) {
          if (std::optional<double> days = DaysLeft(path))
            samples.push_back({{{"certificate", name}}, *days});
        }
        return samples;
      });
}

void UnregisterHubGauges() {
  Metrics& metrics = HubMetrics();
  for (const char* name :
       {kStreams, kAuditRecords, kCertificateDays, kSubscriberLag, kEventsHeld})
    metrics.RemoveGaugeReader(name);
}

}  // namespace ketenhub
