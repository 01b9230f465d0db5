#ifndef KETENHUB_SERVER_SERVICE_HUB_H_
#define KETENHUB_SERVER_SERVICE_HUB_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ketenhub/v1/config.pb.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ketenhub {

// A running KetenHub: storage open, policy loaded, gRPC server listening with
// mutual TLS. Thread-safe.
class Hub {
 public:
  // Starts a hub for a config from LoadHubConfig. Creates the data folder
  // (0700) and the pseudonym key on first start. Fails with a status naming
  // the config field or file at fault; nothing listens then.
  // `storage_env` replaces RocksDB's environment, for fault injection in
  // tests only (not owned; must outlive the hub).
  // `overrides`: what the operator asked for explicitly at this start.
  struct Overrides {
    // Non-empty: accept a new audit signing key for a trail whose key is
    // lost, for this reason; the trail records it (signing_key_replaced).
    std::string replace_lost_signing_key_reason;
    // Non-empty: open the data although KEKs that wrap stored data keys are
    // lost (their signals stay unreadable), for this reason; recorded
    // (kek_replaced).
    std::string replace_lost_kek_reason;
    // --accept-rollback: start on a trail smaller than (or other than) what
    // a witness cosigned, recording why (CheckCosignedTrail).
    std::string accept_rollback_reason;
  };
  static absl::StatusOr<std::unique_ptr<Hub>> Start(
      const v1::HubConfig& config, rocksdb::Env* storage_env = nullptr,
      const Overrides& overrides = {});

  virtual ~Hub() = default;

  // The TCP port the hub listens on (useful with port 0 in the config).
  virtual int port() const = 0;
  // The port of the metrics endpoint; 0 when metrics_address is not set.
  virtual int metrics_port() const = 0;

  // Re-reads the policy file (SIGHUP). A bad file is refused, logged and
  // returned; the current policy stays. Returns the new version.
  virtual absl::StatusOr<std::string> ReloadPolicy() = 0;

  // Ends subscriber streams (UNAVAILABLE, so clients resubscribe), stops
  // taking calls, lets in-flight calls finish (up to a few seconds),
  // commits what is queued and closes storage. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_HUB_H_
