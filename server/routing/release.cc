#include "server/routing/release.h"

#include <algorithm>
#include <vector>

#include "server/common/status_macros.h"
#include "server/policy/lifecycle.h"
#include "server/policy/receiver_share.h"
#include "server/policy/triage.h"
#include "server/storage/signal_lifetime.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

using v1::storage::StoredSignal;

// `direct_basis`: the legal basis on which the access rules release a
// direct section (the deliver activity's), or "".
v1::ReleasedSection RenderSection(const v1::Section& section,
                                  const v1::Route& route,
                                  const StoredSignal& signal,
                                  absl::string_view receiver,
                                  absl::string_view direct_basis) {
  v1::ReleasedSection out;
  out.set_kind(section.kind());
  out.set_no_onward_sharing(section.kind() == v1::DATA_KIND_POLICE);
  const v1::SectionRelease* two_stage_done =
      ReleaseTo(signal, receiver, section.kind());
  switch (AccessPolicy::ReleaseModeFor(route, section.kind())) {
    case v1::RELEASE_DIRECT:
      out.set_disclosure(v1::DISCLOSURE_RELEASED);
      break;
    case v1::RELEASE_TWO_STAGE:
      out.set_disclosure(two_stage_done != nullptr
                             ? v1::DISCLOSURE_RELEASED
                             : v1::DISCLOSURE_WITHHELD_RELEASABLE);
      break;
    default:
      out.set_disclosure(v1::DISCLOSURE_WITHHELD_NEVER);
  }
  if (out.disclosure() == v1::DISCLOSURE_RELEASED) {
    out.set_title(section.title());
    out.set_text(section.text());
    v1::SectionRelease& release = *out.mutable_release();
    if (two_stage_done != nullptr) {
      release = *two_stage_done;
    } else {
      *release.mutable_released_at() = signal.received_at();
      release.set_legal_basis(std::string(direct_basis));
    }
    release.set_kind(section.kind());
    release.set_receiver(std::string(receiver));
  }
  return out;
}

}  // namespace

absl::StatusOr<const v1::Route*> RouteFor(const StoredSignal& signal,
                                          const AccessPolicy& policy,
                                          absl::string_view receiver) {
  const v1::Route* route = policy.RouteTo(signal.source_partner(),
                                          signal.signal().category(), receiver);
  const auto& receivers = signal.receivers();
  if (route == nullptr || std::find(receivers.begin(), receivers.end(),
                                    receiver) == receivers.end()) {
    return absl::NotFoundError("signal_id: no such signal");
  }
  if (signal.state() == v1::SIGNAL_STATE_DESTROYED) {
    return absl::FailedPreconditionError(
        "signal_id: destroyed (retention or erasure)");
  }
  return route;
}

absl::StatusOr<v1::ReleasedSignal> ReleaseFor(const StoredSignal& signal,
                                              const AccessPolicy& policy,
                                              absl::string_view receiver) {
  absl::StatusOr<const v1::Route*> found = RouteFor(signal, policy, receiver);
  if (!found.ok()) return found.status();
  const v1::Route* route = *found;
  const v1::Signal& content = signal.signal();
  v1::ReleasedSignal out;
  out.set_signal_id(signal.signal_id());
  out.set_sequence(signal.sequence());
  out.set_source_partner(signal.source_partner());
  *out.mutable_received_at() = signal.received_at();
  out.set_category(content.category());
  out.set_urgency(content.urgency());
  *out.mutable_subject() = content.subject();
  out.set_municipality(content.municipality());
  *out.mutable_observed_at() = content.observed_at();
  out.set_summary(content.summary());
  const v1::ProcessingActivity* deliver = policy.ActivityFor("deliver");
  const std::string direct_basis =
      deliver == nullptr ? "" : deliver->legal_basis();
  for (const v1::Section& section : content.sections()) {
    *out.add_sections() =
        RenderSection(section, *route, signal, receiver, direct_basis);
  }
  out.set_legal_basis(content.legal_basis());
  *out.mutable_contact() = content.contact();
  out.set_state(signal.state());
  const std::vector<const v1::Decision*> decisions =
      DecisionsOf(signal, receiver);
  for (const v1::Decision* decision : decisions) {
    v1::Decision& copy = decision == decisions.back()
                             ? *out.mutable_decision()
                             : *out.add_earlier_decisions();
    copy = *decision;
    copy.set_receiver(std::string(receiver));
  }
  *out.mutable_match_judgements() = signal.match_judgements();
  *out.mutable_triage() = TriageOf(signal, receiver);
  return out;
}

namespace {

// Fills `about` from the event alone, and from its first signal's record
// when `read` is null.
absl::Status DescribeEvent(const v1::storage::StoredEvent& event,
                           const SignalStore& store,
                           const v1::storage::StoredSignal* read,
                           EventAbout* about) {
  switch (event.kind_case()) {
    case v1::storage::StoredEvent::kReceivedSignalId:
      about->signal_ids.push_back(event.received_signal_id());
      break;
    case v1::storage::StoredEvent::kMatch:
      for (const v1::MatchedSignal& matched : event.match().signals())
        about->signal_ids.push_back(matched.signal_id());
      break;
    case v1::storage::StoredEvent::kWithdrawn:
      about->signal_ids.push_back(event.withdrawn().signal_id());
      break;
    case v1::storage::StoredEvent::kExpiredSignalId:
      about->signal_ids.push_back(event.expired_signal_id());
      break;
    case v1::storage::StoredEvent::KIND_NOT_SET:
      break;
  }
  if (read != nullptr) {
    about->subject_key = read->subject_key();
    return absl::OkStatus();
  }
  if (about->signal_ids.empty()) return absl::OkStatus();
  absl::StatusOr<StoredSignal> record =
      store.GetSignalRecord(about->signal_ids[0]);
  if (record.ok()) {
    about->subject_key = record->subject_key();
  } else if (!absl::IsNotFound(record.status())) {
    return record.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<v1::Event>> RenderEvent(
    const v1::storage::StoredEvent& event, const SignalStore& store,
    const AccessPolicy& policy, absl::string_view receiver, EventAbout* about,
    absl::StatusOr<StoredSignal>* read) {
  v1::Event out;
  out.set_cursor(event.cursor());
  *out.mutable_time() = event.time();
  switch (event.kind_case()) {
    case v1::storage::StoredEvent::kReceivedSignalId: {
      absl::StatusOr<StoredSignal> signal =
          read != nullptr ? std::move(*read)
                          : store.GetSignal(event.received_signal_id());
      if (!signal.ok()) return signal.status();
      KETENHUB_RETURN_IF_ERROR(DescribeEvent(event, store, &*signal, about));
      if (signal->state() == v1::SIGNAL_STATE_DESTROYED) return std::nullopt;
      absl::StatusOr<v1::ReleasedSignal> released =
          ReleaseFor(*signal, policy, receiver);
      if (absl::IsNotFound(released.status())) return std::nullopt;
      if (!released.ok()) return released.status();
      *out.mutable_signal_received() = *std::move(released);
      return out;
    }
    case v1::storage::StoredEvent::kMatch: {
      // Only the signals routed to `receiver`: a care coordinator does not
      // learn of the police's domestic-violence signal through a match with
      // an exploitation signal it does receive. Fewer than two: no match.
      v1::storage::StoredEvent visible = event;
      visible.mutable_match()->clear_signals();
      for (const v1::MatchedSignal& matched : event.match().signals()) {
        absl::StatusOr<StoredSignal> record =
            store.GetSignalRecord(matched.signal_id());
        if (!record.ok() && !absl::IsNotFound(record.status()))
          return record.status();
        if (record.ok() && RouteFor(*record, policy, receiver).ok())
          *visible.mutable_match()->add_signals() = matched;
      }
      KETENHUB_RETURN_IF_ERROR(DescribeEvent(visible, store, nullptr, about));
      if (visible.match().signals_size() < 2) return std::nullopt;
      *out.mutable_match_found() = visible.match();
      return out;
    }
    case v1::storage::StoredEvent::kWithdrawn:
      *out.mutable_signal_withdrawn() = event.withdrawn();
      break;
    case v1::storage::StoredEvent::kExpiredSignalId:
      out.mutable_signal_expired()->set_signal_id(event.expired_signal_id());
      break;
    case v1::storage::StoredEvent::KIND_NOT_SET:
      return std::nullopt;
  }
  KETENHUB_RETURN_IF_ERROR(DescribeEvent(event, store, nullptr, about));
  return out;
}

v1::SignalStatus StatusForSource(const StoredSignal& signal, absl::Time now) {
  v1::SignalStatus status;
  status.set_signal_id(signal.signal_id());
  status.set_client_ref(signal.signal().client_ref());
  status.set_sequence(signal.sequence());
  *status.mutable_received_at() = signal.received_at();
  status.set_category(signal.signal().category());
  status.set_urgency(signal.signal().urgency());
  status.set_state(signal.state());
  status.set_policy_version(signal.policy_version());
  for (v1::Decision& decision : AllDecisions(signal)) {
    *status.mutable_decision() = decision;
    *status.add_decisions() = std::move(decision);
  }
  status.set_routed(!signal.receivers().empty());
  if (signal.state() == v1::SIGNAL_STATE_DESTROYED) {
    *status.mutable_destroyed_at() = signal.destroyed_at();
    status.set_destruction_rule(signal.destruction_rule());
    return status;
  }
  const lifecycle::Lifetime life = LifetimeOf(signal);
  status.set_archived(lifecycle::IsArchived(life, now));
  if (const std::optional<absl::Time> destroy = lifecycle::DestroyTime(life)) {
    SetTimestamp(*destroy, status.mutable_destroy_after());
  }
  return status;
}

absl::Status AddDisclosures(const AuditTrail& trail, v1::SignalStatus& status) {
  AuditFilter filter;
  filter.signal_id = status.signal_id();
  filter.outcome = v1::AUDIT_OUTCOME_SUCCEEDED;
  std::optional<uint64_t> from = 0;
  while (from.has_value()) {
    absl::StatusOr<AuditPage> page = trail.Query(filter, *from, 1000, 10000);
    if (!page.ok()) return page.status();
    for (const v1::AuditRecord& record : page->records) {
      const std::string& operation = record.operation();
      if (operation != "deliver" && operation != "get_signal" &&
          operation != "release") {
        continue;
      }
      v1::SignalDisclosure* disclosure = status.add_disclosures();
      *disclosure->mutable_at() = record.end_time();
      disclosure->set_partner_id(record.actor_partner_id());
      disclosure->set_role(record.actor_role());
      disclosure->set_operation(operation);
      if (auto kind = record.details().find("kind");
          kind != record.details().end()) {
        v1::DataKind parsed;
        if (v1::DataKind_Parse(kind->second, &parsed))
          disclosure->set_kind(parsed);
      }
      disclosure->set_legal_basis(record.legal_basis());
      disclosure->set_on_behalf_of(record.on_behalf_of());
    }
    from = page->next_index;
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
