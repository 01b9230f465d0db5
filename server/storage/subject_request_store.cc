// The four-eyes requests of a SignalStore: stored under
// kSubjectRequestPrefix in the default family, changed only on the commit
// pipeline, each change with its audit record.

#include "server/storage/subject_request_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/storage/keys.h"
#include "server/storage/mutation.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/store_internal.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

using four_eyes::StoredRequest;

std::string RequestKey(absl::string_view request_id) {
  return absl::StrCat(storage_keys::kSubjectRequestPrefix, request_id);
}

class SubjectRequestWrite final : public Mutation {
 public:
  SubjectRequestWrite(SubjectRequestChange change, v1::AuditRecord audit,
                      SubjectRequestCallback done)
      : change_(std::move(change)),
        audit_(std::move(audit)),
        done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    absl::StatusOr<StoredRequest> changed =
        ApplySubjectRequestChange(context, change_);
    if (changed.ok()) {
      result_ = changed->request();
      four_eyes::AddDetails(changed->request(), &audit_);
      (*audit_.mutable_details())["state"] =
          v1::SubjectRequestState_Name(changed->request().state());
    } else {
      result_ = changed.status();
    }
    SetAuditOutcome(changed.status(), &audit_);
    context.AppendAudit(std::move(audit_));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(written.ok()
                         ? std::move(result_)
                         : absl::StatusOr<v1::SubjectRequest>(written));
  }

 private:
  SubjectRequestChange change_;
  v1::AuditRecord audit_;
  SubjectRequestCallback done_;
  absl::StatusOr<v1::SubjectRequest> result_ =
      absl::InternalError("not applied");
};

class SubjectRequestStoreImpl final : public SubjectRequestStore {
 public:
  explicit SubjectRequestStoreImpl(StoreCore& core) : core_(core) {}

  void Change(SubjectRequestChange change, v1::AuditRecord audit,
              SubjectRequestCallback done) override {
    core_.pipeline().Enqueue(std::make_unique<SubjectRequestWrite>(
        std::move(change), std::move(audit), std::move(done)));
  }

  absl::StatusOr<std::optional<StoredRequest>> Get(
      absl::string_view request_id) const override {
    std::string value;
    const rocksdb::Status s = core_.database().db()->Get(
        rocksdb::ReadOptions(), RequestKey(request_id), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) return absl::UnavailableError("read subject request");
    StoredRequest stored;
    if (!stored.ParseFromString(value))
      return absl::DataLossError("read subject request: it is unreadable");
    return stored;
  }

  absl::StatusOr<std::vector<StoredRequest>> List() const override {
    std::vector<StoredRequest> all;
    const absl::string_view prefix = storage_keys::kSubjectRequestPrefix;
    // Other metadata follows the requests: stop at the first key without
    // the prefix, before parsing it.
    absl::Status scanned = core_.database().ScanBytes(
        Family::kDefault, prefix, "read subject requests",
        [&](absl::string_view key,
            absl::string_view value) -> absl::StatusOr<ScanStep> {
          if (!absl::StartsWith(key, prefix)) return ScanStep::kStop;
          StoredRequest stored;
          if (!stored.ParseFromArray(value.data(),
                                     static_cast<int>(value.size()))) {
            return absl::DataLossError(
                "read subject requests: one is unreadable");
          }
          all.push_back(std::move(stored));
          return ScanStep::kContinue;
        });
    if (!scanned.ok()) return scanned;
    std::stable_sort(all.begin(), all.end(),
                     [](const StoredRequest& a, const StoredRequest& b) {
                       return FromTimestamp(a.request().requested_at()) <
                              FromTimestamp(b.request().requested_at());
                     });
    return all;
  }

 private:
  StoreCore& core_;
};

}  // namespace

absl::StatusOr<StoredRequest> ApplySubjectRequestChange(
    CommitContext& context, SubjectRequestChange& change) {
  const std::string key = RequestKey(change.request_id);
  absl::StatusOr<std::optional<std::string>> value = context.ReadMeta(key);
  if (!value.ok()) return value.status();
  std::optional<StoredRequest> current;
  if (value->has_value()) {
    current.emplace();
    if (!current->ParseFromString(**value))
      return absl::DataLossError("read subject request: it is unreadable");
  }
  absl::StatusOr<StoredRequest> changed = change.decide(current, context.now());
  if (!changed.ok()) return changed.status();
  context.PutMeta(key, changed->SerializeAsString());
  return changed;
}

std::unique_ptr<SubjectRequestStore> MakeSubjectRequestStore(StoreCore& core) {
  return std::make_unique<SubjectRequestStoreImpl>(core);
}

}  // namespace ketenhub
