// The maintenance mutations behind StoreMaintenance: crypto-shredding and
// re-wrapping data keys.

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/audit/audit_record.h"
#include "server/common/status_macros.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/signal_lifetime.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

using v1::storage::StoredEvent;
using v1::storage::StoredSignal;
using v1::storage::SubjectIndexEntry;

class DestroyMutation final : public Mutation {
 public:
  DestroyMutation(DestroyCommand command, DestroyCallback done)
      : command_(std::move(command)), done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    v1::AuditRecord erasure = command_.audit;
    result_ = DestroyAll(context, erasure);
    if (!command_.erasure_reason.empty()) {
      // One record for the erasure, whatever its outcome.
      SetAuditOutcome(result_.status(), &erasure);
      context.AppendAudit(std::move(erasure));
    }
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok()
                         ? absl::StatusOr<std::vector<StoredSignal>>(written)
                         : std::move(result_));
  }

 private:
  // Destroys what the command names: for retention, with a record per
  // signal; for erasure, adding each signal to `erasure`.
  absl::StatusOr<std::vector<StoredSignal>> DestroyAll(
      CommitContext& context, v1::AuditRecord& erasure) {
    std::vector<StoredSignal> destroyed;
    std::vector<std::string> ids = command_.signal_ids;
    if (!command_.subject_key.empty()) {
      absl::StatusOr<std::vector<SubjectIndexEntry>> entries =
          context.SubjectEntries(command_.subject_key);
      if (!entries.ok()) return entries.status();
      for (const SubjectIndexEntry& entry : *entries)
        ids.push_back(entry.signal_id());
    }
    if (command_.request.decide) {
      // Four eyes: the approved request is used up with the erasure; its
      // refusal refuses the erasure, and nothing else changes.
      absl::StatusOr<v1::storage::StoredSubjectRequest> taken =
          ApplySubjectRequestChange(context, command_.request);
      if (!taken.ok()) return taken.status();
      four_eyes::AddDetails(taken->request(), &erasure);
    }
    for (const std::string& id : ids) {
      absl::StatusOr<StoredSignal> signal = context.ReadSignalRecord(id);
      if (absl::IsNotFound(signal.status())) continue;
      if (!signal.ok()) return signal.status();
      if (signal->state() == v1::SIGNAL_STATE_DESTROYED) continue;
      std::string rule =
          command_.erasure_reason.empty()
              ? RetentionRule(*signal, command_.as_of)
              : absl::StrCat("erasure: ", command_.erasure_reason);
      if (rule.empty()) continue;  // not (or no longer) due
      const std::string pseudonym = SubjectPseudonym(signal->subject_key());
      const auto receivers = signal->receivers();
      KETENHUB_RETURN_IF_ERROR(context.DestroySignal(*signal, rule));
      AppendEvent(context, *signal, receivers);
      if (command_.erasure_reason.empty()) {
        v1::AuditRecord record = command_.audit;
        record.set_data_subject_pseudonym(pseudonym);
        record.add_signal_ids(id);
        (*record.mutable_details())["rule"] = rule;
        SetAuditOutcome(absl::OkStatus(), &record);
        context.AppendAudit(std::move(record));
      } else {
        erasure.add_signal_ids(id);
      }
      destroyed.push_back(*std::move(signal));
    }
    return destroyed;
  }

  // "retention: CATEGORY after N days" when the signal is due at `now`.
  static std::string RetentionRule(const StoredSignal& signal, absl::Time now) {
    if (!lifecycle::RetentionDue(LifetimeOf(signal), now)) return "";
    return lifecycle::RetentionRule(signal.signal().category(),
                                    signal.retention_days());
  }

  void AppendEvent(
      CommitContext& context, const StoredSignal& tombstone,
      const google::protobuf::RepeatedPtrField<std::string>& receivers) const {
    if (receivers.empty()) return;
    StoredEvent event;
    *event.mutable_receivers() = receivers;
    if (command_.erasure_reason.empty()) {
      event.set_expired_signal_id(tombstone.signal_id());
    } else {
      v1::SignalWithdrawn* withdrawn = event.mutable_withdrawn();
      withdrawn->set_signal_id(tombstone.signal_id());
      withdrawn->set_source_partner(tombstone.source_partner());
      withdrawn->set_reason(tombstone.destruction_rule());
    }
    context.AppendEvent(std::move(event));
  }

  DestroyCommand command_;
  DestroyCallback done_;
  absl::StatusOr<std::vector<StoredSignal>> result_ =
      absl::InternalError("not applied");
};

class RewrapMutation final : public Mutation {
 public:
  RewrapMutation(const KekRing* keys, std::vector<std::string> signal_ids,
                 CountCallback done)
      : keys_(keys),
        signal_ids_(std::move(signal_ids)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    const std::string current = keys_->current_id();
    uint64_t rewrapped = 0;
    for (const std::string& id : signal_ids_) {
      absl::StatusOr<std::optional<v1::storage::WrappedDataKey>> wrapped =
          context.ReadDataKey(id);
      if (!wrapped.ok()) {
        result_ = wrapped.status();
        return;
      }
      if (!wrapped->has_value() || (*wrapped)->kek_id() == current) continue;
      absl::StatusOr<v1::storage::WrappedDataKey> again =
          UnderCurrentKek(*keys_, id, **wrapped);
      if (!again.ok()) {
        result_ = again.status();
        return;
      }
      context.PutDataKey(id, *again);
      ++rewrapped;
    }
    result_ = rewrapped;
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok() ? absl::StatusOr<uint64_t>(written)
                                   : std::move(result_));
  }

 private:
  const KekRing* const keys_;
  const std::vector<std::string> signal_ids_;
  CountCallback done_;
  absl::StatusOr<uint64_t> result_ = absl::InternalError("not applied");
};

}  // namespace

std::unique_ptr<Mutation> MakeDestroyMutation(DestroyCommand command,
                                              DestroyCallback done) {
  return std::make_unique<DestroyMutation>(std::move(command), std::move(done));
}

std::unique_ptr<Mutation> MakeRewrapMutation(
    const KekRing* keys, std::vector<std::string> signal_ids,
    CountCallback done) {
  return std::make_unique<RewrapMutation>(keys, std::move(signal_ids),
                                          std::move(done));
}

}  // namespace ketenhub
