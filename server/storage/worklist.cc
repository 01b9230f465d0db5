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

// What possible matches need of a signal with weak identifiers.
struct Weak {
  std::string subject_key;
  std::string source_partner;
  std::vector<std::pair<v1::IdentifierKind, std::string>> keys;
  std::vector<std::string> dismissed;
};

// The signals about other persons that share a weak identifier with
// `signal_id` and were not dismissed with it (either way round).
std::vector<v1::PossibleMatch> PossibleMatchesOf(
    const std::string& signal_id,
    const absl::flat_hash_map<std::string, Weak>& weak,
    const absl::flat_hash_map<std::string, std::vector<std::string>>&
        carrying) {
  std::vector<v1::PossibleMatch> out;
  auto mine = weak.find(signal_id);
  if (mine == weak.end()) return out;
  for (const auto& [kind, key] : mine->second.keys) {
    auto others = carrying.find(key);
    if (others == carrying.end()) continue;
    for (const std::string& other_id : others->second) {
      const Weak& other = weak.at(other_id);
      const auto& mine_dismissed = mine->second.dismissed;
      if (other.subject_key == mine->second.subject_key ||
          std::find(mine_dismissed.begin(), mine_dismissed.end(), other_id) !=
              mine_dismissed.end() ||
          std::find(other.dismissed.begin(), other.dismissed.end(),
                    signal_id) != other.dismissed.end()) {
        continue;
      }
      auto known = std::find_if(out.begin(), out.end(),
                                [&](const v1::PossibleMatch& match) {
                                  return match.signal_id() == other_id;
                                });
      if (known == out.end()) {
        known = out.insert(out.end(), v1::PossibleMatch());
        known->set_signal_id(other_id);
        known->set_source_partner(other.source_partner);
      }
      if (std::find(known->shared_kinds().begin(), known->shared_kinds().end(),
                    kind) == known->shared_kinds().end()) {
        known->add_shared_kinds(kind);
      }
    }
  }
  return out;
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
    *entry.mutable_identifier_keys() = signal.identifier_keys();
    for (const v1::MatchJudgement& judged : signal.match_judgements()) {
      if (!judged.confirmed()) entry.add_dismissed(judged.other_signal_id());
    }
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
  absl::flat_hash_map<std::string, Weak> weak;  // by signal id
  // By identifier key (kind and key): the signals carrying it.
  absl::flat_hash_map<std::string, std::vector<std::string>> carrying;
  absl::Status scanned = db.Scan<WorklistEntry>(
      Family::kWorklist, prefix, "read worklist",
      [&](absl::string_view key, WorklistEntry& entry) {
        if (!absl::StartsWith(key, prefix)) return ScanStep::kStop;
        if (entry.identifier_keys_size() > 0 &&
            entry.item().signal_state() != v1::SIGNAL_STATE_WITHDRAWN) {
          Weak& signal = weak[entry.item().signal_id()];
          signal.subject_key = entry.subject_key();
          signal.source_partner = entry.item().source_partner();
          signal.dismissed.assign(entry.dismissed().begin(),
                                  entry.dismissed().end());
          for (const v1::storage::IdentifierKey& id : entry.identifier_keys()) {
            std::string both = absl::StrCat(id.kind(), ":", id.key());
            carrying[both].push_back(entry.item().signal_id());
            signal.keys.emplace_back(id.kind(), std::move(both));
          }
        }
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
        for (v1::PossibleMatch& match :
             PossibleMatchesOf(item.signal_id(), weak, carrying)) {
          *item.add_possible_matches() = std::move(match);
        }
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
