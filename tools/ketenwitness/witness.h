// The witness's work, apart from its command line (ketenwitness.cc), so
// that tests can drive it: a witness never cosigns a checkpoint that does
// not extend the last one it accepted (C2SP tlog-witness, Sigsum).
#ifndef KETENHUB_TOOLS_KETENWITNESS_WITNESS_H_
#define KETENHUB_TOOLS_KETENWITNESS_WITNESS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/signal_client.h"
#include "ketenhub/v1/audit.grpc.pb.h"
#include "server/audit/checkpoint_signer.h"

namespace ketenhub {

// The witness's folder (0700): its key (witness.key, 0600; witness.pub),
// the checkpoint it accepted last (accepted, written atomically), and every
// cosignature it made (cosignatures.jsonl, appended and synced).
class Witness {
 public:
  // Opens `state_dir`, creating it and the key on first use.
  static absl::StatusOr<std::unique_ptr<Witness>> Open(
      const std::string& state_dir);

  const CheckpointSigner& signer() const { return *signer_; }
  // The checkpoint accepted last, or nullopt before the first.
  absl::StatusOr<std::optional<v1::SignedCheckpoint>> Accepted() const;

  // One round against the hub: its checkpoint, checked against
  // `hub_key_pem` and (by a consistency proof) against the accepted one,
  // then cosigned, kept, and handed to the hub. DATA_LOSS naming both sizes
  // when the checkpoint does not extend the accepted one (nothing is cosigned
  // or kept then); the hub's own errors as they are (the cosignature is kept
  // and the next round hands it over again).
  absl::StatusOr<v1::Cosignature> Round(v1::WitnessService::StubInterface& hub,
                                        const ClientOptions& options,
                                        const std::string& hub_key_pem);

 private:
  Witness(std::string state_dir, std::unique_ptr<CheckpointSigner> signer)
      : state_dir_(std::move(state_dir)), signer_(std::move(signer)) {}
  // Checks `checkpoint` extends the accepted one.
  absl::Status CheckExtends(v1::WitnessService::StubInterface& hub,
                            const ClientOptions& options,
                            const v1::SignedCheckpoint& checkpoint) const;
  absl::Status Keep(const v1::SignedCheckpoint& checkpoint,
                    const v1::Cosignature& cosignature) const;

  const std::string state_dir_;
  const std::unique_ptr<CheckpointSigner> signer_;
};

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENWITNESS_WITNESS_H_
