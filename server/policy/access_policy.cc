#include "server/policy/access_policy.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/audit/checkpoint.h"
#include "server/common/identifiers.h"
#include "server/common/status_macros.h"
#include "server/common/text_proto.h"
#include "server/policy/identifier_rules.h"
#include "server/policy/operations.h"
#include "server/policy/person_rules.h"
#include "server/policy/report_rules.h"
#include "server/policy/route_rules.h"
#include "server/policy/subject_request_rules.h"

namespace ketenhub {
namespace {

bool IsPartnerId(absl::string_view id) {
  if (id.empty() || id.size() > 40) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool HasRole(const v1::Partner& partner, v1::Role role) {
  return std::find(partner.roles().begin(), partner.roles().end(), role) !=
         partner.roles().end();
}

absl::Status PartnerError(int index, const v1::Partner& partner,
                          absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "partners[", index, "] (", partner.id().empty() ? "no id" : partner.id(),
      "): ", problem));
}

absl::Status ValidateRoles(int index, const v1::Partner& partner) {
  if (partner.roles().empty())
    return PartnerError(index, partner, "roles: at least one role required");
  absl::flat_hash_set<int> seen;
  for (const int role : partner.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      return PartnerError(index, partner, "roles: unknown role");
    }
    if (!seen.insert(role).second) {
      return PartnerError(
          index, partner,
          absl::StrCat("roles: ", v1::Role_Name(role), " listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMaySubmit(int index, const v1::Partner& partner) {
  if (!partner.may_submit().empty() && !HasRole(partner, v1::ROLE_SUBMITTER)) {
    return PartnerError(index, partner,
                        "may_submit: needs role ROLE_SUBMITTER");
  }
  for (const int category : partner.may_submit()) {
    if (category == v1::CATEGORY_UNSPECIFIED ||
        !v1::Category_IsValid(category)) {
      return PartnerError(index, partner, "may_submit: unknown category");
    }
  }
  return absl::OkStatus();
}

// A pin is a SHA-256 fingerprint: 64 lower-case hex digits.
absl::Status ValidatePins(int index, const v1::Partner& partner) {
  for (const auto* pins :
       {&partner.pinned_issuers(), &partner.pinned_certificates()}) {
    for (const std::string& pin : *pins) {
      if (pin.size() != 64 ||
          pin.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return PartnerError(
            index, partner,
            absl::StrCat(pins == &partner.pinned_issuers()
                             ? "pinned_issuers"
                             : "pinned_certificates",
                         ": a SHA-256 fingerprint in lower-case hex (64 "
                         "digits)"));
      }
    }
  }
  return absl::OkStatus();
}

// A witness names the key it cosigns with; no one else has one.
absl::Status ValidateWitnessKey(int index, const v1::Partner& partner) {
  const bool witness = HasRole(partner, v1::ROLE_WITNESS);
  if (!witness && !partner.witness_public_key().empty()) {
    return PartnerError(index, partner,
                        "witness_public_key: needs role ROLE_WITNESS");
  }
  if (witness && !CheckpointKeyId(partner.witness_public_key()).ok()) {
    return PartnerError(index, partner,
                        "witness_public_key: required with ROLE_WITNESS, an "
                        "Ed25519 public key in PEM (ketenwitness init)");
  }
  return absl::OkStatus();
}

constexpr uint32_t kDefaultMatchWindowDays = 730;
constexpr uint32_t kMaxMatchWindowDays = 3650;
constexpr uint32_t kDefaultRetentionDays = 1825;  // five years
constexpr uint32_t kMaxRetentionDays = 36500;

uint32_t MatchWindowIn(const v1::Policy& policy, v1::Category category) {
  for (const v1::CategoryRule& rule : policy.categories()) {
    if (rule.category() == category && rule.match_window_days() > 0) {
      return rule.match_window_days();
    }
  }
  return policy.default_match_window_days() > 0
             ? policy.default_match_window_days()
             : kDefaultMatchWindowDays;
}

uint32_t RetentionIn(const v1::Policy& policy, v1::Category category) {
  for (const v1::CategoryRule& rule : policy.categories()) {
    if (rule.category() == category && rule.retention_days() > 0) {
      return rule.retention_days();
    }
  }
  return policy.default_retention_days() > 0 ? policy.default_retention_days()
                                             : kDefaultRetentionDays;
}

// Destruction comes after the match window, for every category.
absl::Status ValidateRetention(const v1::Policy& policy) {
  if (policy.default_retention_days() > kMaxRetentionDays) {
    return absl::InvalidArgumentError("default_retention_days: at most 36500");
  }
  for (int c = v1::Category_MIN + 1; c <= v1::Category_MAX; ++c) {
    if (!v1::Category_IsValid(c)) continue;
    const auto category = static_cast<v1::Category>(c);
    if (RetentionIn(policy, category) > kMaxRetentionDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("categories: retention_days of ",
                       v1::Category_Name(category), " at most 36500"));
    }
    if (RetentionIn(policy, category) < MatchWindowIn(policy, category)) {
      return absl::InvalidArgumentError(
          absl::StrCat("categories: retention of ", v1::Category_Name(category),
                       " must not end before its match window"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCategoryRules(const v1::Policy& policy) {
  if (policy.default_match_window_days() > kMaxMatchWindowDays) {
    return absl::InvalidArgumentError(
        "default_match_window_days: at most 3650");
  }
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < policy.categories_size(); ++i) {
    const v1::CategoryRule& rule = policy.categories(i);
    const std::string field = absl::StrCat("categories[", i, "]");
    if (rule.category() == v1::CATEGORY_UNSPECIFIED ||
        !v1::Category_IsValid(rule.category())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".category: unknown category"));
    }
    if (!seen.insert(rule.category()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".category: listed twice"));
    }
    if (rule.match_window_days() > kMaxMatchWindowDays) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".match_window_days: at most 3650"));
    }
  }
  return absl::OkStatus();
}

bool IsActivityId(absl::string_view id) {
  return !id.empty() && id.size() <= 60 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

absl::Status ValidateActivities(const v1::Policy& policy) {
  absl::flat_hash_set<std::string> ids, operations;
  for (int i = 0; i < policy.processing_activities_size(); ++i) {
    const v1::ProcessingActivity& activity = policy.processing_activities(i);
    const std::string field = absl::StrCat("processing_activities[", i, "]");
    if (!IsActivityId(activity.id())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id: must be 1-60 of [a-z0-9-]"));
    }
    if (!ids.insert(activity.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".id: used twice"));
    }
    if (activity.legal_basis().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".legal_basis: required"));
    }
    for (const std::string& operation : activity.operations()) {
      if (std::find(kOperations.begin(), kOperations.end(), operation) ==
          kOperations.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".operations: unknown operation \"", operation, "\""));
      }
      if (!operations.insert(operation).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".operations: \"", operation,
                         "\" already belongs to another activity"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const v1::Policy& policy) {
  if (policy.partners().empty()) {
    return absl::InvalidArgumentError("partners: the registry is empty");
  }
  absl::flat_hash_set<std::string> ids, oins;
  for (int i = 0; i < policy.partners_size(); ++i) {
    const v1::Partner& p = policy.partners(i);
    if (!IsPartnerId(p.id()))
      return PartnerError(i, p, "id: must be 1-40 of [a-z0-9-]");
    if (!ids.insert(p.id()).second) return PartnerError(i, p, "id: used twice");
    if (p.name().empty()) return PartnerError(i, p, "name: required");
    if (!IsWellFormedOin(p.oin()))
      return PartnerError(i, p, "oin: must be 20 digits");
    if (!oins.insert(p.oin()).second)
      return PartnerError(i, p, "oin: used by another partner");
    if (p.regime() == v1::DATA_REGIME_UNSPECIFIED ||
        !v1::DataRegime_IsValid(p.regime())) {
      return PartnerError(
          i, p, "regime: DATA_REGIME_AVG or DATA_REGIME_WPG required");
    }
    KETENHUB_RETURN_IF_ERROR(ValidateRoles(i, p));
    KETENHUB_RETURN_IF_ERROR(ValidateMaySubmit(i, p));
    if (absl::Status rules = CheckIdentifierRules(p); !rules.ok())
      return PartnerError(i, p, rules.message());
    KETENHUB_RETURN_IF_ERROR(ValidateWitnessKey(i, p));
    KETENHUB_RETURN_IF_ERROR(ValidatePins(i, p));
  }
  KETENHUB_RETURN_IF_ERROR(ValidateRoutes(policy));
  KETENHUB_RETURN_IF_ERROR(ValidateActivities(policy));
  KETENHUB_RETURN_IF_ERROR(ValidateCategoryRules(policy));
  KETENHUB_RETURN_IF_ERROR(ValidatePersonRules(policy));
  KETENHUB_RETURN_IF_ERROR(ValidateReportRules(policy));
  KETENHUB_RETURN_IF_ERROR(ValidateSubjectRequestRules(policy));
  return ValidateRetention(policy);
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::FromText(
    absl::string_view text, absl::string_view source_name) {
  v1::Policy policy;
  KETENHUB_RETURN_IF_ERROR(
      ParseTextProto(text, absl::StrCat("policy ", source_name), &policy));
  if (absl::Status valid = ValidatePolicy(policy); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", source_name, ": ", valid.message()));
  }
  return std::unique_ptr<AccessPolicy>(
      new AccessPolicy(std::move(policy), std::string(text)));
}

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::FromFile(
    const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return FromText(*text, path);
}

AccessPolicy::AccessPolicy(v1::Policy policy, std::string text)
    : policy_(std::move(policy)),
      text_(std::move(text)),
      version_(Sha256Hex(text_)) {
  for (const v1::Partner& partner : policy_.partners()) {
    by_oin_[partner.oin()] = &partner;
    by_id_[partner.id()] = &partner;
  }
  for (const v1::ProcessingActivity& activity :
       policy_.processing_activities()) {
    for (const std::string& operation : activity.operations())
      by_operation_[operation] = &activity;
  }
}

v1::RateLimit AccessPolicy::SubmitRate(const v1::Partner& partner) const {
  v1::RateLimit rate = partner.has_submit_rate()
                           ? partner.submit_rate()
                           : policy_.default_submit_rate();
  if (rate.burst() == 0) rate.set_burst(rate.per_second());
  return rate;
}

uint32_t AccessPolicy::MaxStreamsPerPartner() const {
  return policy_.max_streams_per_partner() > 0
             ? policy_.max_streams_per_partner()
             : 4;
}

const v1::ProcessingActivity* AccessPolicy::ActivityFor(
    absl::string_view operation) const {
  auto it = by_operation_.find(operation);
  return it == by_operation_.end() ? nullptr : it->second;
}

std::vector<const v1::Route*> AccessPolicy::RoutesFor(
    absl::string_view source, v1::Category category) const {
  std::vector<const v1::Route*> routes;
  for (const v1::Route& route : policy_.routes()) {
    if (route.source() != source) continue;
    if (std::find(route.categories().begin(), route.categories().end(),
                  category) != route.categories().end()) {
      routes.push_back(&route);
    }
  }
  return routes;
}

const v1::Route* AccessPolicy::RouteTo(absl::string_view source,
                                       v1::Category category,
                                       absl::string_view receiver) const {
  for (const v1::Route* route : RoutesFor(source, category)) {
    if (route->receiver() == receiver) return route;
  }
  return nullptr;
}

v1::ReleaseMode AccessPolicy::ReleaseModeFor(const v1::Route& route,
                                             v1::DataKind kind) {
  for (const v1::SectionRule& rule : route.sections()) {
    if (rule.kind() == kind) return rule.mode();
  }
  return v1::RELEASE_NEVER;
}

uint32_t AccessPolicy::MatchWindowDays(v1::Category category) const {
  return MatchWindowIn(policy_, category);
}

uint32_t AccessPolicy::RetentionDays(v1::Category category) const {
  return RetentionIn(policy_, category);
}

const v1::Partner* AccessPolicy::PartnerById(absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<const v1::Partner*> AccessPolicy::PartnerForOin(
    absl::string_view oin) const {
  auto it = by_oin_.find(oin);
  if (it == by_oin_.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("OIN ", oin, " is not in the partner registry"));
  }
  return it->second;
}

absl::Status AccessPolicy::CheckRole(const v1::Partner& partner,
                                     v1::Role role) const {
  if (HasRole(partner, role)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "partner '", partner.id(), "' lacks role ", v1::Role_Name(role)));
}

bool AccessPolicy::PersonRequired(const v1::Partner& partner, v1::Role role,
                                  absl::string_view operation) const {
  // Four eyes are two persons: these name theirs whatever the rules say.
  for (absl::string_view four_eyes :
       {"subject_request", "subject_approve", "subject_refuse",
        "subject_requests", "subject_export", "subject_erase"}) {
    if (operation == four_eyes) return true;
  }
  return PersonRuleCovers(policy_, partner, role, operation);
}

absl::Status AccessPolicy::CheckMaySubmit(const v1::Partner& partner,
                                          v1::Category category) const {
  KETENHUB_RETURN_IF_ERROR(CheckRole(partner, v1::ROLE_SUBMITTER));
  const auto& allowed = partner.may_submit();
  if (std::find(allowed.begin(), allowed.end(), category) != allowed.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "partner '", partner.id(), "' may not submit ",
      v1::Category_Name(category), " (rule: partners.may_submit)"));
}

}  // namespace ketenhub
