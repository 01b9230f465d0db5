#include "server/storage/worklist.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/policy/triage.h"
#include "server/storage/keys.h"

namespace ketenhub {
namespace {

using v1::storage::StoredSignal;
using v1::storage::WorklistEntry;

std::string EntryKey(absl::string_view receiver, uint64_t sequence) {
  return absl::StrCat(storage_keys::WorklistPrefix(receiver),
                      storage_keys::EncodeSequence(sequence));
}

bool Matches(const v1::WorklistRequest& request, const v1::WorkItem& item) {
  const v1::TriageState state = item.triage().state();
  if (request.state() == v1::TRIAGE_STATE_UNSPECIFIED
          ? state == v1::TRIAGE_STATE_CLOSED
          : state != request.state()) {
    return false;
  }
  if (request.urgency() != v1::URGENCY_UNSPECIFIED &&
      item.urgency() != request.urgency()) {
    return false;
  }
  if (request.category() != v1::CATEGORY_UNSPECIFIED &&
      item.category() != request.category()) {
    return false;
  }
  return request.assignee().empty() ||
         item.triage().assignee() == request.assignee();
}

// Most urgent first, then oldest (received_at, then sequence: scan order).
bool Before(const v1::WorkItem& a, const v1::WorkItem& b) {
  if (a.urgency() != b.urgency()) return a.urgency() > b.urgency();
  if (a.received_at().seconds() != b.received_at().seconds())
    return a.received_at().seconds() < b.received_at().seconds();
  return a.received_at().nanos() < b.received_at().nanos();
}

// One person's signals in the worklist.
struct Person {
  std::string first_signal;            // the oldest: the group's name
  uint32_t signals = 0;                // all of them, whatever the filter
  std::vector<v1::WorkItem> matching;  // those the filter lets through
};

}  // namespace

void PutWorklistEntries(const Database& db, const StoredSignal& signal,
                        rocksdb::WriteBatch& batch) {
  for (const std::string& receiver : signal.receivers()) {
    WorklistEntry entry;
    *entry.mutable_item() = WorkItemOf(signal, receiver);
    entry.set_subject_key(signal.subject_key());
    batch.Put(db.handle(Family::kWorklist),
              EntryKey(receiver, signal.sequence()), entry.SerializeAsString());
  }
}

void DeleteWorklistEntries(const Database& db, const StoredSignal& signal,
                           rocksdb::WriteBatch& batch) {
  for (const std::string& receiver : signal.receivers()) {
    batch.Delete(db.handle(Family::kWorklist),
                 EntryKey(receiver, signal.sequence()));
  }
}

absl::StatusOr<v1::WorklistResponse> ListWorklist(
    const Database& db, absl::string_view receiver,
    const v1::WorklistRequest& request, size_t offset, size_t limit) {
  const std::string prefix = storage_keys::WorklistPrefix(receiver);
  absl::flat_hash_map<std::string, Person> persons;  // by subject key
  std::string person_of;  // the subject key request.person_of() names
  absl::Status scanned = db.Scan<WorklistEntry>(
      Family::kWorklist, prefix, "read worklist",
      [&](absl::string_view key, WorklistEntry& entry) {
        if (!absl::StartsWith(key, prefix)) return ScanStep::kStop;
        Person& person = persons[entry.subject_key()];
        if (person.signals++ == 0)
          person.first_signal = entry.item().signal_id();
        if (entry.item().signal_id() == request.person_of())
          person_of = entry.subject_key();
        if (Matches(request, entry.item()))
          person.matching.push_back(std::move(*entry.mutable_item()));
        return ScanStep::kContinue;
      });
  if (!scanned.ok()) return scanned;
  if (!request.person_of().empty() && person_of.empty())
    return absl::NotFoundError("person_of: no such signal in the worklist");

  std::vector<Person*> groups;
  for (auto& [subject_key, person] : persons) {
    if (person.matching.empty()) continue;
    if (!person_of.empty() && subject_key != person_of) continue;
    std::stable_sort(person.matching.begin(), person.matching.end(), Before);
    groups.push_back(&person);
  }
  std::sort(groups.begin(), groups.end(), [](const Person* a, const Person* b) {
    if (Before(a->matching.front(), b->matching.front())) return true;
    if (Before(b->matching.front(), a->matching.front())) return false;
    return a->first_signal < b->first_signal;  // a stable order for paging
  });
  v1::WorklistResponse response;
  size_t position = 0;
  for (Person* person : groups) {
    for (v1::WorkItem& item : person->matching) {
      if (position >= offset && position < offset + limit) {
        item.set_person_group(person->first_signal);
        item.set_person_signals(person->signals);
        *response.add_items() = std::move(item);
      }
      ++position;
    }
  }
  response.set_total(static_cast<uint32_t>(position));
  if (offset + limit < position)
    response.set_next_page_token(absl::StrCat(offset + limit));
  return response;
}

}  // namespace ketenhub
