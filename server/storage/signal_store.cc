#include "server/storage/signal_store.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "server/common/files.h"
#include "server/common/status_macros.h"
#include "server/policy/receiver_share.h"
#include "server/storage/keys.h"
#include "server/storage/match_judgement.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/store_internal.h"
#include "server/storage/time_conversion.h"
#include "server/storage/worklist.h"

namespace ketenhub {
namespace {

// The SHA-256 of a signal's ContentBytes: what idempotency compares.
std::string ContentHash(absl::string_view content_bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content_bytes.data()),
         content_bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

using v1::storage::StoredEvent;
using v1::storage::StoredSignal;

bool IsReceiver(const StoredSignal& signal, absl::string_view receiver) {
  return std::find(signal.receivers().begin(), signal.receivers().end(),
                   receiver) != signal.receivers().end();
}

// Whether a signal was routed to `receiver`, for MakeSignalUpdate.
SignalAccess ReceivedBy(std::string receiver) {
  return [receiver = std::move(receiver)](const StoredSignal& signal) {
    return IsReceiver(signal, receiver);
  };
}

absl::Status NotFound() {
  return absl::NotFoundError("signal_id: no such signal");
}

class RocksSignalStore final : public SignalStore {
 public:
  RocksSignalStore(std::unique_ptr<StoreCore> core,
                   std::optional<v1::SignedCheckpoint> newest_checkpoint)
      : core_(std::move(core)),
        audit_(MakeAuditTrail(*core_, std::move(newest_checkpoint))),
        maintenance_(MakeStoreMaintenance(*core_)),
        requests_(MakeSubjectRequestStore(*core_)) {}

  ~RocksSignalStore() override { Close(); }

  // Seals on the caller's thread, so that many submits encrypt in parallel
  // and the pipeline thread only writes.
  // Serialises the content once, for its hash and its ciphertext, wipes
  // those bytes, and seals nothing for a client_ref already known (a replay
  // gets its first receipt and needs no payload).
  void Submit(SubmitCommand command, ReceiptCallback done) override {
    StoredSignal sealed;
    sealed.set_signal_id(NewSignalId());
    std::string plaintext = ContentBytes(command.signal);
    std::string content_hash = ContentHash(plaintext);
    std::optional<v1::storage::WrappedDataKey> data_key;
    absl::Status sealing;
    if (!database().HasIdempotency(storage_keys::IdempotencyKey(
            command.partner_id, command.signal.client_ref()))) {
      absl::StatusOr<v1::storage::WrappedDataKey> wrapped =
          SealPayload(core_->keys(), plaintext, sealed);
      if (wrapped.ok()) data_key = *std::move(wrapped);
      sealing = wrapped.status();
    }
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    if (!sealing.ok()) return std::move(done)(sealing);
    *sealed.mutable_signal() = std::move(command.signal);
    pipeline().Enqueue(MakeSubmitMutation(
        std::move(command), std::move(sealed), std::move(data_key),
        std::move(content_hash), std::move(done)));
  }

  void Withdraw(std::string partner_id, std::string signal_id,
                std::string reason, v1::AuditRecord audit,
                SignalCallback done) override {
    auto owns = [partner_id](const StoredSignal& signal) {
      return signal.source_partner() == partner_id;
    };
    auto change = [reason](StoredSignal& signal) -> absl::Status {
      if (signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
        return absl::FailedPreconditionError("signal_id: already withdrawn");
      }
      signal.set_state(v1::SIGNAL_STATE_WITHDRAWN);
      signal.set_withdraw_reason(reason);
      return absl::OkStatus();
    };
    auto event = [](const StoredSignal& signal, StoredEvent& event) {
      if (signal.receivers().empty()) return false;
      *event.mutable_receivers() = signal.receivers();
      v1::SignalWithdrawn* withdrawn = event.mutable_withdrawn();
      withdrawn->set_signal_id(signal.signal_id());
      withdrawn->set_source_partner(signal.source_partner());
      withdrawn->set_reason(signal.withdraw_reason());
      return true;
    };
    pipeline().Enqueue(MakeSignalUpdate(std::move(signal_id), owns, change,
                                        event, std::move(audit),
                                        std::move(done)));
  }

  void Decide(std::string receiver, std::string signal_id,
              v1::Decision decision, v1::AuditRecord audit,
              SignalCallback done) override {
    TriageStep step{.action = TriageStep::Action::kDecide,
                    .person = audit.acting_user_id(),
                    .now = FromTimestamp(decision.decided_at())};
    decision.set_receiver(receiver);
    auto change = [decision, step,
                   receiver](StoredSignal& signal) -> absl::Status {
      if (signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
        return absl::FailedPreconditionError(
            "signal_id: withdrawn by its source");
      }
      v1::Triage triage = TriageOf(signal, receiver);
      KETENHUB_RETURN_IF_ERROR(ApplyTriage(step, /*withdrawn=*/false, triage));
      MutableTriageOf(signal, receiver) = std::move(triage);
      // Decisions append: a change of the receiver's own says why.
      if (!DecisionsOf(signal, receiver).empty() &&
          decision.change_reason().empty()) {
        return absl::FailedPreconditionError(
            "change_reason: the signal was decided before; changing the "
            "decision needs a reason");
      }
      if (signal.has_decision()) {
        *signal.add_earlier_decisions() = signal.decision();
      }
      signal.set_state(v1::SIGNAL_STATE_DECIDED);
      *signal.mutable_decision() = decision;
      return absl::OkStatus();
    };
    pipeline().Enqueue(MakeSignalUpdate(std::move(signal_id),
                                        ReceivedBy(receiver), change, nullptr,
                                        std::move(audit), std::move(done)));
  }

  void Triage(std::string receiver, std::string signal_id, TriageStep step,
              v1::AuditRecord audit, SignalCallback done) override {
    auto change = [step = std::move(step),
                   receiver](StoredSignal& signal) -> absl::Status {
      return ApplyTriageTo(step, receiver, signal);
    };
    pipeline().Enqueue(MakeSignalUpdate(std::move(signal_id),
                                        ReceivedBy(receiver), change, nullptr,
                                        std::move(audit), std::move(done)));
  }

  void JudgeMatch(JudgeMatchCommand command, LinkedCallback done) override {
    pipeline().Enqueue(
        MakeJudgeMatchMutation(std::move(command), std::move(done)));
  }

  absl::StatusOr<v1::WorklistResponse> Worklist(
      absl::string_view receiver, const v1::WorklistRequest& request,
      size_t offset, size_t limit) const override {
    return ListWorklist(database(), receiver, request, offset, limit);
  }

  void Release(std::string receiver, std::string signal_id,
               v1::SectionRelease release, v1::AuditRecord audit,
               SignalCallback done) override {
    release.set_receiver(receiver);
    auto change = [release = std::move(release),
                   receiver](StoredSignal& signal) -> absl::Status {
      // A release is for the receiver that made it; its first stands.
      if (ReleaseTo(signal, receiver, release.kind()) == nullptr) {
        *signal.add_releases() = release;
      }
      return absl::OkStatus();
    };
    pipeline().Enqueue(
        MakeSignalUpdate(std::move(signal_id), ReceivedBy(std::move(receiver)),
                         change, nullptr, std::move(audit), std::move(done)));
  }

  void Ack(std::string subscriber, uint64_t cursor, v1::AuditRecord audit,
           CursorCallback done) override {
    pipeline().Enqueue(MakeAckMutation(std::move(subscriber), cursor,
                                       std::move(audit), std::move(done)));
  }

  absl::StatusOr<StoredSignal> GetSignal(
      absl::string_view signal_id) const override {
    return database().ReadSignal(signal_id);
  }

  std::vector<absl::StatusOr<StoredSignal>> GetSignals(
      absl::Span<const std::string> signal_ids) const override {
    return database().ReadSignals(signal_ids);
  }

  absl::StatusOr<StoredSignal> GetSignalRecord(
      absl::string_view signal_id) const override {
    return database().ReadSignal(signal_id, /*decrypt=*/false);
  }

  absl::StatusOr<StoredSignal> GetOwnSignal(
      absl::string_view partner_id,
      absl::string_view signal_id) const override {
    absl::StatusOr<StoredSignal> stored = database().ReadSignal(signal_id);
    if (stored.ok() && stored->source_partner() != partner_id)
      return NotFound();
    return stored;
  }

  absl::StatusOr<EventPage> ReadEvents(absl::string_view receiver,
                                       uint64_t after,
                                       size_t max) const override;

  uint64_t LastCursor() const override { return pipeline().last_cursor(); }

  absl::StatusOr<uint64_t> AckedCursor(
      absl::string_view subscriber) const override {
    return database().ReadAckedCursor(subscriber);
  }

  absl::Status ScanSignalRecords(
      absl::FunctionRef<void(const StoredSignal&)> visit) const override {
    return database().Scan<StoredSignal>(
        Family::kSignals, "", "scan signals",
        [&](absl::string_view, StoredSignal& signal) {
          visit(signal);
          return ScanStep::kContinue;
        });
  }

  absl::StatusOr<std::vector<StoredSignal>> ListUnrouted(
      uint64_t after_sequence, size_t max) const override;

  absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> SubjectIndex(
      absl::string_view key) const override {
    absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>> entries =
        database().SubjectEntries(key);
    if (!entries.ok()) return entries.status();
    std::vector<v1::storage::SubjectIndexEntry> out;
    for (auto& [sequence, entry] : *entries) out.push_back(std::move(entry));
    return out;
  }

  absl::StatusOr<std::vector<StoredSignal>> SubjectSignals(
      absl::string_view subject_key) const override {
    absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>> entries =
        database().SubjectEntries(subject_key);
    if (!entries.ok()) return entries.status();
    std::vector<StoredSignal> signals;
    for (const auto& [sequence, entry] : *entries) {
      absl::StatusOr<StoredSignal> signal =
          database().ReadSignal(entry.signal_id());
      if (!signal.ok()) return signal.status();
      signals.push_back(*std::move(signal));
    }
    return signals;
  }

  void SetEventListener(std::function<void(uint64_t)> listener) override {
    core_->SetEventListener(std::move(listener));
  }

  AuditTrail& audit() override { return *audit_; }
  const AuditTrail& audit() const override { return *audit_; }
  StoreMaintenance& maintenance() override { return *maintenance_; }
  SubjectRequestStore& requests() override { return *requests_; }

  void Close() override { core_->pipeline().Stop(); }

 private:
  Database& database() const { return core_->database(); }
  CommitPipeline& pipeline() { return core_->pipeline(); }
  const CommitPipeline& pipeline() const { return core_->pipeline(); }

  const std::unique_ptr<StoreCore> core_;  // first: the parts use it
  const std::unique_ptr<AuditTrail> audit_;
  const std::unique_ptr<StoreMaintenance> maintenance_;
  const std::unique_ptr<SubjectRequestStore> requests_;
};

absl::StatusOr<SignalStore::EventPage> RocksSignalStore::ReadEvents(
    absl::string_view receiver, uint64_t after, size_t max) const {
  EventPage page;
  page.scanned_to = after;
  const uint64_t last = LastCursor();
  if (after >= last || max == 0) return page;
  size_t scanned = 0;
  KETENHUB_RETURN_IF_ERROR(database().Scan<StoredEvent>(
      Family::kEvents, storage_keys::EncodeSequence(after + 1), "read events",
      [&](absl::string_view, StoredEvent& event) {
        // Committed, but not yet announced: not yet.
        if (event.cursor() > last) return ScanStep::kStop;
        page.scanned_to = event.cursor();
        if (std::find(event.receivers().begin(), event.receivers().end(),
                      receiver) != event.receivers().end()) {
          page.events.push_back(std::move(event));
        }
        return page.events.size() < max && ++scanned < 16 * max
                   ? ScanStep::kContinue
                   : ScanStep::kStop;
      }));
  return page;
}

absl::StatusOr<std::vector<StoredSignal>> RocksSignalStore::ListUnrouted(
    uint64_t after_sequence, size_t max) const {
  std::vector<StoredSignal> unrouted;
  if (max == 0) return unrouted;
  KETENHUB_RETURN_IF_ERROR(database().Scan<StoredSignal>(
      Family::kSignals, storage_keys::EncodeSequence(after_sequence + 1),
      "list unrouted", [&](absl::string_view, StoredSignal& signal) {
        if (signal.receivers().empty()) unrouted.push_back(std::move(signal));
        return unrouted.size() < max ? ScanStep::kContinue : ScanStep::kStop;
      }));
  return unrouted;
}

std::string RestoreKeksHint(const std::string& kek_dir) {
  return absl::StrCat(
      "restore ", kek_dir,
      " from its backup (operator guide, 'Keys'); the hub makes no new KEK "
      "over data it could then never read");
}

// Refuses to let KekRing make a first KEK in an empty `kek_dir` when the
// database at `db_path` already holds data keys: they need the old KEKs.
absl::Status RefuseNewKekOverData(const std::string& db_path,
                                  const std::string& kek_dir) {
  std::error_code error;
  if (!std::filesystem::exists(db_path + "/CURRENT", error)) return {};
  absl::StatusOr<std::vector<std::string>> entries = ListFolder(kek_dir);
  if (entries.ok()) {
    for (const std::string& entry : *entries) {
      // A KEK file, or `current` naming a KEK in a token (the ring checks
      // that it is there).
      if (absl::EndsWith(entry, ".key") || absl::EndsWith(entry, "/current"))
        return {};
    }
  }
  // A store of a schema before the data keys (which the open upgrades, and
  // whose families a read-only open lacks) has none to lose.
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::OpenReadOnly(db_path);
  if (!database.ok()) return {};
  absl::StatusOr<std::vector<std::string>> wrapping =
      (*database)->SampleKekIds();
  if (!wrapping.ok()) return wrapping.status();
  absl::StatusOr<std::vector<std::string>> lost = (*database)->LostKekIds();
  if (!lost.ok()) return lost.status();
  std::erase_if(*wrapping, [&](const std::string& id) {
    return std::find(lost->begin(), lost->end(), id) != lost->end();
  });
  if (wrapping->empty()) return {};
  return absl::FailedPreconditionError(
      absl::StrCat("keys/kek: no key-encryption key in ", kek_dir,
                   ", but this database's data keys are wrapped by ",
                   wrapping->front(), ": ", RestoreKeksHint(kek_dir)));
}

// FAILED_PRECONDITION naming the KEK when stored data keys are wrapped by
// one that is not in `keys`.
absl::Status CheckKeksPresent(const Database& database, const KekRing& keys,
                              const std::string& kek_dir) {
  absl::StatusOr<std::vector<std::string>> wrapping = database.SampleKekIds();
  if (!wrapping.ok()) return wrapping.status();
  absl::StatusOr<std::vector<std::string>> lost = database.LostKekIds();
  if (!lost.ok()) return lost.status();
  std::vector<std::string> present = keys.ids();
  present.insert(present.end(), lost->begin(), lost->end());
  for (const std::string& id : *wrapping) {
    if (std::find(present.begin(), present.end(), id) == present.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "keys/kek: this database's data keys are wrapped by ", id,
          ", which is not in ", kek_dir, ": ", RestoreKeksHint(kek_dir)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SignalStore>> SignalStore::Open(
    const Options& options) {
  const std::string kek_dir =
      options.kek_dir.empty()
          ? (std::filesystem::path(options.path).parent_path() / "keys" / "kek")
                .string()
          : options.kek_dir;
  if (!options.accept_lost_keks)
    KETENHUB_RETURN_IF_ERROR(RefuseNewKekOverData(options.path, kek_dir));
  absl::StatusOr<std::unique_ptr<KekRing>> keys =
      KekRing::OpenOrCreate(kek_dir, options.token);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(options.path, keys->get(), options.env);
  if (!database.ok()) return database.status();
  if (!options.accept_lost_keks)
    KETENHUB_RETURN_IF_ERROR(CheckKeksPresent(**database, **keys, kek_dir));
  absl::StatusOr<uint64_t> next_sequence =
      (*database)->NextSequenceIn((*database)->signals());
  if (!next_sequence.ok()) return next_sequence.status();
  absl::StatusOr<uint64_t> next_cursor =
      (*database)->NextSequenceIn((*database)->events());
  if (!next_cursor.ok()) return next_cursor.status();
  absl::StatusOr<uint64_t> audit_size = (*database)->AuditSize();
  if (!audit_size.ok()) return audit_size.status();
  absl::StatusOr<merkle::Frontier> audit_tree = merkle::Frontier::Load(
      *audit_size, [db = database->get()](int level, uint64_t index) {
        return db->ReadAuditNode(level, index);
      });
  if (!audit_tree.ok()) return audit_tree.status();
  absl::StatusOr<std::optional<v1::SignedCheckpoint>> newest_checkpoint =
      (*database)->LastCheckpoint();
  if (!newest_checkpoint.ok()) return newest_checkpoint.status();
  return std::make_unique<RocksSignalStore>(
      std::make_unique<StoreCore>(*std::move(keys), *std::move(database),
                                  options.max_group_size, *next_sequence,
                                  *next_cursor, *std::move(audit_tree)),
      *std::move(newest_checkpoint));
}

std::string SignalContentHash(const v1::Signal& signal) {
  std::string bytes = ContentBytes(signal);
  std::string hash = ContentHash(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return hash;
}

}  // namespace ketenhub
