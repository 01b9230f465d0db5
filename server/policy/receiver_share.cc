#include "server/policy/receiver_share.h"

#include <algorithm>

namespace ketenhub {

using v1::storage::StoredSignal;

absl::string_view ReceiverOf(const StoredSignal& signal,
                             absl::string_view recorded) {
  if (!recorded.empty() || signal.receivers().empty()) return recorded;
  return signal.receivers(0);
}

const v1::SectionRelease* ReleaseTo(const StoredSignal& signal,
                                    absl::string_view receiver,
                                    v1::DataKind kind) {
  for (const v1::SectionRelease& release : signal.releases()) {
    if (release.kind() == kind &&
        ReceiverOf(signal, release.receiver()) == receiver) {
      return &release;
    }
  }
  const auto& legacy = signal.released_kinds();
  const bool recorded_without_release =
      std::find(legacy.begin(), legacy.end(), kind) != legacy.end() &&
      std::none_of(signal.releases().begin(), signal.releases().end(),
                   [kind](const v1::SectionRelease& release) {
                     return release.kind() == kind &&
                            release.receiver().empty();
                   });
  if (recorded_without_release && ReceiverOf(signal, "") == receiver) {
    return &v1::SectionRelease::default_instance();
  }
  return nullptr;
}

std::vector<const v1::Decision*> DecisionsOf(const StoredSignal& signal,
                                             absl::string_view receiver) {
  std::vector<const v1::Decision*> out;
  auto add = [&](const v1::Decision& decision) {
    if (ReceiverOf(signal, decision.receiver()) == receiver)
      out.push_back(&decision);
  };
  for (const v1::Decision& earlier : signal.earlier_decisions()) add(earlier);
  if (signal.has_decision()) add(signal.decision());
  return out;
}

std::vector<v1::Decision> AllDecisions(const StoredSignal& signal) {
  std::vector<v1::Decision> out;
  auto add = [&](const v1::Decision& decision) {
    out.push_back(decision);
    out.back().set_receiver(
        std::string(ReceiverOf(signal, decision.receiver())));
  };
  for (const v1::Decision& earlier : signal.earlier_decisions()) add(earlier);
  if (signal.has_decision()) add(signal.decision());
  return out;
}

bool IsCareOutcome(v1::Outcome outcome) {
  switch (outcome) {
    case v1::OUTCOME_VICTIM_REACHED:
    case v1::OUTCOME_REFERRED_TO_SHELTER:
    case v1::OUTCOME_REFERRED_TO_CARE:
    case v1::OUTCOME_HELP_DECLINED:
    case v1::OUTCOME_NOT_REACHABLE:
      return true;
    default:
      return false;
  }
}

}  // namespace ketenhub
