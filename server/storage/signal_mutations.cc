#include "server/storage/signal_mutations.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/audit/audit_record.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/possible_match.h"
#include "server/storage/signal_lifetime.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

using v1::storage::IdempotencyRecord;
using v1::storage::StoredEvent;
using v1::storage::StoredSignal;
using v1::storage::SubjectIndexEntry;

bool IsActive(const SubjectIndexEntry& entry, absl::Time now) {
  return lifecycle::IsMatchable(LifetimeOf(entry), entry.withdrawn(), now);
}

class SubmitMutation final : public Mutation {
 public:
  SubmitMutation(SubmitCommand command, StoredSignal sealed,
                 std::optional<v1::storage::WrappedDataKey> data_key,
                 std::string content_hash, ReceiptCallback done)
      : command_(std::move(command)),
        sealed_(std::move(sealed)),
        data_key_(std::move(data_key)),
        done_(std::move(done)),
        client_ref_(sealed_.signal().client_ref()),
        category_(sealed_.signal().category()),
        key_(storage_keys::IdempotencyKey(command_.partner_id, client_ref_)),
        content_hash_(std::move(content_hash)) {}

  void Apply(CommitContext& context) override {
    result_ = Store(context);
    v1::AuditRecord audit = command_.audit;
    SetAuditOutcome(result_.status(), &audit);
    audit.set_data_subject_pseudonym(SubjectPseudonym(command_.subject_key));
    if (result_.ok()) audit.add_signal_ids(result_->signal_id());
    context.AppendAudit(std::move(audit));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok() ? absl::StatusOr<v1::Receipt>(written)
                                   : std::move(result_));
  }

 private:
  absl::StatusOr<v1::Receipt> Store(CommitContext& context) {
    absl::StatusOr<std::optional<IdempotencyRecord>> known =
        context.ReadIdempotency(key_);
    if (!known.ok()) return known.status();
    if (known->has_value()) return Replay(**known);
    // A match is news only when this partner had no active signal about the
    // person yet. Its newest one usually answers that in two lookups; else
    // AppendMatch judges all the person's entries.
    absl::StatusOr<bool> known_here =
        context.NewestOfPartnerIs(command_.subject_key, command_.partner_id,
                                  [&](const SubjectIndexEntry& entry) {
                                    return IsActive(entry, context.now());
                                  });
    if (!known_here.ok()) return known_here.status();
    absl::StatusOr<std::vector<SubjectIndexEntry>> earlier =
        *known_here ? std::vector<SubjectIndexEntry>()
                    : context.SubjectEntries(command_.subject_key);
    if (!earlier.ok()) return earlier.status();
    // Every signal that shares a weak identifier, by kind.
    SharedIdentifiers sharing;
    for (const v1::storage::IdentifierKey& key : command_.identifier_keys) {
      absl::StatusOr<std::vector<SubjectIndexEntry>> entries =
          context.SubjectEntries(key.key());
      if (!entries.ok()) return entries.status();
      if (!entries->empty())
        sharing.emplace_back(key.kind(), *std::move(entries));
    }

    // Unsealed only when the caller saw the ref known; it still is (records
    // are never removed), so this does not happen: the partner may retry.
    if (!data_key_.has_value())
      return absl::UnavailableError("submit: try again");
    absl::StatusOr<v1::storage::WrappedDataKey> data_key = UnderCurrentKek(
        *context.database()->key_ring(), sealed_.signal_id(), *data_key_);
    if (!data_key.ok()) return data_key.status();
    StoredSignal stored = NewRecord(context);
    context.PutSignal(stored, &*data_key);
    IdempotencyRecord record;
    record.set_content_hash(content_hash_);
    record.set_signal_id(stored.signal_id());
    record.set_sequence(stored.sequence());
    *record.mutable_received_at() = stored.received_at();
    context.PutIdempotency(key_, record);
    if (stored.receivers_size() > 0) {
      StoredEvent event;
      *event.mutable_receivers() = stored.receivers();
      event.set_received_signal_id(stored.signal_id());
      context.AppendEvent(std::move(event));
    }
    AppendMatch(context, *earlier, stored);
    AppendPossibleMatch(context, sharing, Entry(stored), stored.subject_key());
    return Replay(record);
  }

  absl::StatusOr<v1::Receipt> Replay(const IdempotencyRecord& record) const {
    if (record.content_hash() != content_hash_) {
      return absl::AlreadyExistsError(
          "client_ref: already used for a signal with other content");
    }
    v1::Receipt receipt;
    receipt.set_signal_id(record.signal_id());
    receipt.set_sequence(record.sequence());
    *receipt.mutable_received_at() = record.received_at();
    receipt.set_client_ref(client_ref_);
    return receipt;
  }

  StoredSignal NewRecord(CommitContext& context) {
    StoredSignal stored = std::move(sealed_);  // id, content and payload
    stored.set_sequence(context.TakeSequence());
    SetTimestamp(context.now(), stored.mutable_received_at());
    stored.set_source_partner(command_.partner_id);
    stored.set_subject_key(command_.subject_key);
    stored.set_policy_version(command_.policy_version);
    stored.set_content_hash(content_hash_);
    for (const std::string& receiver : command_.receivers)
      stored.add_receivers(receiver);
    stored.set_state(v1::SIGNAL_STATE_RECEIVED);
    stored.set_match_window_days(command_.match_window_days);
    stored.set_retention_days(command_.retention_days);
    for (const v1::storage::IdentifierKey& key : command_.identifier_keys)
      *stored.add_identifier_keys() = key;
    stored.set_person_unknown(command_.person_unknown);
    return stored;
  }

  // A match is news when the new signal's partner had no active signal about
  // the subject yet and at least one other partner has.
  void AppendMatch(CommitContext& context,
                   const std::vector<SubjectIndexEntry>& earlier,
                   const StoredSignal& added) const {
    absl::flat_hash_set<std::string> partners;
    std::vector<const SubjectIndexEntry*> active;
    for (const SubjectIndexEntry& entry : earlier) {
      if (!IsActive(entry, context.now())) continue;
      partners.insert(entry.source_partner());
      active.push_back(&entry);
    }
    if (!lifecycle::IsNewMatch(partners, added.source_partner())) return;
    StoredEvent event;
    for (const SubjectIndexEntry* entry : active) AddMatched(*entry, event);
    AddMatched(Entry(added), event);
    if (event.receivers_size() > 0) context.AppendEvent(std::move(event));
  }

  SubjectIndexEntry Entry(const StoredSignal& added) const {
    SubjectIndexEntry entry;
    entry.set_signal_id(added.signal_id());
    entry.set_source_partner(added.source_partner());
    entry.set_category(category_);
    *entry.mutable_received_at() = added.received_at();
    *entry.mutable_receivers() = added.receivers();
    return entry;
  }

  const SubmitCommand command_;  // without its signal: that is in sealed_
  StoredSignal sealed_;          // moved into the new record
  const std::optional<v1::storage::WrappedDataKey> data_key_;
  ReceiptCallback done_;
  const std::string client_ref_;
  const v1::Category category_;
  const std::string key_;
  const std::string content_hash_;
  absl::StatusOr<v1::Receipt> result_ = absl::InternalError("not applied");
};

class SignalUpdate final : public Mutation {
 public:
  SignalUpdate(std::string signal_id, SignalAccess may_touch,
               SignalChange change, EventBuilder event, v1::AuditRecord audit,
               SignalCallback done)
      : signal_id_(std::move(signal_id)),
        may_touch_(std::move(may_touch)),
        change_(std::move(change)),
        event_(std::move(event)),
        audit_(std::move(audit)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    // An update changes metadata only: the content stays sealed, and the
    // pipeline thread decrypts nothing.
    absl::StatusOr<StoredSignal> signal = context.ReadSignalRecord(signal_id_);
    // The record names the person even when the attempt is refused (a
    // destroyed signal no longer knows them).
    if (signal.ok() && !signal->subject_key().empty()) {
      audit_.set_data_subject_pseudonym(
          SubjectPseudonym(signal->subject_key()));
    }
    if (signal.ok() && !may_touch_(*signal)) {
      signal = absl::NotFoundError("signal_id: no such signal");
    } else if (signal.ok() && signal->state() == v1::SIGNAL_STATE_DESTROYED) {
      signal = absl::FailedPreconditionError(
          "signal_id: destroyed (retention or erasure)");
    } else if (signal.ok()) {
      if (absl::Status changed = change_(*signal); !changed.ok())
        signal = changed;
    }
    result_ = std::move(signal);
    audit_.add_signal_ids(signal_id_);
    SetAuditOutcome(result_.status(), &audit_);
    context.AppendAudit(std::move(audit_));
    if (!result_.ok()) return;
    context.PutSignal(*result_, /*new_data_key=*/nullptr);
    StoredEvent event;
    if (event_ && event_(*result_, event))
      context.AppendEvent(std::move(event));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok() ? absl::StatusOr<StoredSignal>(written)
                                   : std::move(result_));
  }

 private:
  const std::string signal_id_;
  const SignalAccess may_touch_;
  const SignalChange change_;
  const EventBuilder event_;
  v1::AuditRecord audit_;
  SignalCallback done_;
  absl::StatusOr<StoredSignal> result_ = absl::InternalError("not applied");
};

class AckMutation final : public Mutation {
 public:
  AckMutation(std::string subscriber, uint64_t cursor, v1::AuditRecord audit,
              CursorCallback done)
      : subscriber_(std::move(subscriber)),
        cursor_(cursor),
        audit_(std::move(audit)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    result_ = Store(context);
    (*audit_.mutable_details())["cursor"] = absl::StrCat(cursor_);
    SetAuditOutcome(result_.status(), &audit_);
    context.AppendAudit(std::move(audit_));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok() ? absl::StatusOr<uint64_t>(written)
                                   : std::move(result_));
  }

 private:
  absl::StatusOr<uint64_t> Store(CommitContext& context) {
    if (cursor_ >= context.next_cursor())
      return absl::InvalidArgumentError("cursor: beyond the last event");
    absl::StatusOr<uint64_t> stored = context.ReadAckedCursor(subscriber_);
    if (!stored.ok() || *stored >= cursor_) return stored;
    context.PutAckedCursor(subscriber_, cursor_);
    return cursor_;
  }

  const std::string subscriber_;
  const uint64_t cursor_;
  v1::AuditRecord audit_;
  CursorCallback done_;
  absl::StatusOr<uint64_t> result_ = absl::InternalError("not applied");
};

class AuditOnly final : public Mutation {
 public:
  AuditOnly(std::vector<v1::AuditRecord> records, StatusCallback done)
      : records_(std::move(records)), done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    for (v1::AuditRecord& record : records_)
      context.AppendAudit(std::move(record));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(written);
  }

 private:
  std::vector<v1::AuditRecord> records_;
  StatusCallback done_;
};

class CheckpointWrite final : public Mutation {
 public:
  CheckpointWrite(v1::SignedCheckpoint checkpoint, StatusCallback done)
      : checkpoint_(std::move(checkpoint)), done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    context.batch().Put(context.database()->audit_checkpoints(),
                        storage_keys::EncodeSequence(checkpoint_.tree_size()),
                        checkpoint_.SerializeAsString());
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(written);
  }

 private:
  const v1::SignedCheckpoint checkpoint_;
  StatusCallback done_;
};

class CosignatureWrite final : public Mutation {
 public:
  CosignatureWrite(v1::Cosignature cosignature, v1::AuditRecord audit,
                   StatusCallback done)
      : cosignature_(std::move(cosignature)),
        audit_(std::move(audit)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    const std::string key = absl::StrCat(storage_keys::kCosignaturePrefix,
                                         cosignature_.witness_key_id());
    std::string value;
    rocksdb::Status s =
        context.database()->db()->Get(rocksdb::ReadOptions(), key, &value);
    v1::Cosignature stored;
    if (!s.ok() && !s.IsNotFound()) {
      result_ = absl::UnavailableError("read cosignature");
    } else if (s.ok() && stored.ParseFromString(value) &&
               stored.tree_size() > cosignature_.tree_size()) {
      result_ = absl::FailedPreconditionError(absl::StrCat(
          "cosignature: this witness cosigned a larger tree before (",
          stored.tree_size(), " records)"));
    } else {
      result_ = absl::OkStatus();
      context.batch().Put(key, cosignature_.SerializeAsString());
    }
    SetAuditOutcome(result_, &audit_);
    context.AppendAudit(std::move(audit_));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(written.ok() ? result_ : written);
  }

 private:
  const v1::Cosignature cosignature_;
  v1::AuditRecord audit_;
  StatusCallback done_;
  absl::Status result_ = absl::InternalError("not applied");
};

class CosignaturesForgotten final : public Mutation {
 public:
  CosignaturesForgotten(std::vector<std::string> witness_key_ids,
                        v1::AuditRecord audit, StatusCallback done)
      : witness_key_ids_(std::move(witness_key_ids)),
        audit_(std::move(audit)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    for (const std::string& id : witness_key_ids_)
      context.batch().Delete(
          absl::StrCat(storage_keys::kCosignaturePrefix, id));
    SetAuditOutcome(absl::OkStatus(), &audit_);
    context.AppendAudit(std::move(audit_));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(written);
  }

 private:
  const std::vector<std::string> witness_key_ids_;
  v1::AuditRecord audit_;
  StatusCallback done_;
};

}  // namespace

// Signal ids reveal neither order nor volume.
std::string NewSignalId() {
  unsigned char b[16];
  RAND_bytes(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

std::unique_ptr<Mutation> MakeSubmitMutation(
    SubmitCommand command, v1::storage::StoredSignal sealed,
    std::optional<v1::storage::WrappedDataKey> data_key,
    std::string content_hash, ReceiptCallback done) {
  return std::make_unique<SubmitMutation>(
      std::move(command), std::move(sealed), std::move(data_key),
      std::move(content_hash), std::move(done));
}

std::unique_ptr<Mutation> MakeSignalUpdate(
    std::string signal_id, SignalAccess may_touch, SignalChange change,
    EventBuilder event, v1::AuditRecord audit, SignalCallback done) {
  return std::make_unique<SignalUpdate>(
      std::move(signal_id), std::move(may_touch), std::move(change),
      std::move(event), std::move(audit), std::move(done));
}

std::unique_ptr<Mutation> MakeAckMutation(std::string subscriber,
                                          uint64_t cursor,
                                          v1::AuditRecord audit,
                                          CursorCallback done) {
  return std::make_unique<AckMutation>(std::move(subscriber), cursor,
                                       std::move(audit), std::move(done));
}

std::unique_ptr<Mutation> MakeAuditOnlyMutation(
    std::vector<v1::AuditRecord> records, StatusCallback done) {
  return std::make_unique<AuditOnly>(std::move(records), std::move(done));
}

std::unique_ptr<Mutation> MakeCheckpointWrite(v1::SignedCheckpoint checkpoint,
                                              StatusCallback done) {
  return std::make_unique<CheckpointWrite>(std::move(checkpoint),
                                           std::move(done));
}

std::unique_ptr<Mutation> MakeCosignatureWrite(v1::Cosignature cosignature,
                                               v1::AuditRecord audit,
                                               StatusCallback done) {
  return std::make_unique<CosignatureWrite>(std::move(cosignature),
                                            std::move(audit), std::move(done));
}

std::unique_ptr<Mutation> MakeCosignaturesForgotten(
    std::vector<std::string> witness_key_ids, v1::AuditRecord audit,
    StatusCallback done) {
  return std::make_unique<CosignaturesForgotten>(
      std::move(witness_key_ids), std::move(audit), std::move(done));
}

}  // namespace ketenhub
