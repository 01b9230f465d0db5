#include "server/storage/possible_match.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "server/policy/lifecycle.h"
#include "server/storage/signal_lifetime.h"

namespace ketenhub {

using v1::storage::StoredEvent;
using v1::storage::SubjectIndexEntry;

void AddMatched(const SubjectIndexEntry& entry, StoredEvent& event) {
  v1::MatchedSignal* matched = event.mutable_match()->add_signals();
  matched->set_signal_id(entry.signal_id());
  matched->set_source_partner(entry.source_partner());
  matched->set_category(entry.category());
  *matched->mutable_received_at() = entry.received_at();
  for (const std::string& receiver : entry.receivers()) {
    if (std::find(event.receivers().begin(), event.receivers().end(),
                  receiver) == event.receivers().end()) {
      event.add_receivers(receiver);
    }
  }
}

void AppendPossibleMatch(CommitContext& context,
                         const SharedIdentifiers& sharing,
                         const SubjectIndexEntry& added,
                         const std::string& subject_key) {
  std::vector<const SubjectIndexEntry*> others;
  std::vector<v1::IdentifierKind> kinds;
  for (const auto& [kind, entries] : sharing) {
    absl::flat_hash_set<std::string> partners;
    std::vector<const SubjectIndexEntry*> active;
    for (const SubjectIndexEntry& entry : entries) {
      if (!lifecycle::IsMatchable(LifetimeOf(entry), entry.withdrawn(),
                                  context.now()) ||
          entry.subject_key() == subject_key) {
        continue;
      }
      partners.insert(entry.source_partner());
      active.push_back(&entry);
    }
    if (!lifecycle::IsNewMatch(partners, added.source_partner())) continue;
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      kinds.push_back(kind);
    for (const SubjectIndexEntry* entry : active) {
      if (std::none_of(others.begin(), others.end(),
                       [entry](const SubjectIndexEntry* known) {
                         return known->signal_id() == entry->signal_id();
                       })) {
        others.push_back(entry);
      }
    }
  }
  if (kinds.empty()) return;
  StoredEvent event;
  event.mutable_match()->set_possible(true);
  for (v1::IdentifierKind kind : kinds)
    event.mutable_match()->add_shared_kinds(kind);
  for (const SubjectIndexEntry* entry : others) AddMatched(*entry, event);
  AddMatched(added, event);
  if (event.receivers_size() > 0) context.AppendEvent(std::move(event));
}

}  // namespace ketenhub
