#include "server/policy/lifecycle.h"

#include "absl/strings/str_cat.h"

namespace ketenhub::lifecycle {
namespace {

absl::Time After(absl::Time received, uint32_t days) {
  return received + absl::Hours(24) * static_cast<int64_t>(days);
}

}  // namespace

absl::Time ArchiveTime(const Lifetime& life) {
  return After(life.received, life.match_window_days);
}

bool IsMatchable(const Lifetime& life, bool withdrawn, absl::Time now) {
  return !withdrawn && ArchiveTime(life) >= now;
}

bool IsArchived(const Lifetime& life, absl::Time now) {
  return ArchiveTime(life) < now;
}

std::optional<absl::Time> DestroyTime(const Lifetime& life) {
  if (life.retention_days == 0) return std::nullopt;
  return After(life.received, life.retention_days);
}

bool RetentionDue(const Lifetime& life, absl::Time now) {
  const std::optional<absl::Time> destroy = DestroyTime(life);
  return destroy.has_value() && *destroy <= now;
}

std::string RetentionRule(v1::Category category, uint32_t retention_days) {
  return absl::StrCat("retention: ", v1::Category_Name(category), " after ",
                      retention_days, " days");
}

bool IsNewMatch(const absl::flat_hash_set<std::string>& matchable_partners,
                absl::string_view partner) {
  return !matchable_partners.empty() &&
         !matchable_partners.contains(std::string(partner));
}

}  // namespace ketenhub::lifecycle
