#include "tools/ketenctl/audit_line.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/ketenctl/ketenctl_common.h"

namespace ketenhub {
namespace {

// `text` with every control character replaced, so that a field cannot
// break the table or move the terminal's cursor.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

}  // namespace

std::string AuditRecordLine(const v1::AuditRecord& r) {
  std::string what = r.status_code();
  if (!r.status_rule().empty())
    absl::StrAppend(&what, " (", r.status_rule(), ")");
  std::string line = absl::StrCat(
      FormatTimestamp(r.end_time()), "  #", r.index(), "  ",
      r.actor_partner_id().empty() ? r.actor_oin() : r.actor_partner_id(), "  ",
      Readable(r.actor_role(), "ROLE_"), "  ", r.operation(), "  ", what, "  ",
      r.legal_basis().empty() ? "-" : r.legal_basis());
  if (!r.acting_user_id().empty()) {
    absl::StrAppend(&line, "  by ", r.acting_user_id(), " (",
                    r.acting_user_role(), ")");
  }
  if (!r.on_behalf_of().empty())
    absl::StrAppend(&line, "  for ", r.on_behalf_of());
  // Four eyes: the request, and the two persons.
  const auto& details = r.details();
  if (auto id = details.find("request_id"); id != details.end()) {
    absl::StrAppend(&line, "  request ", id->second);
    for (const auto& [key, words] :
         {std::pair<const char*, const char*>{"requested_by", "asked by"},
          {"approved_by", "approved by"},
          {"refused_by", "refused by"}}) {
      if (auto person = details.find(key); person != details.end())
        absl::StrAppend(&line, " ", words, " ", person->second);
    }
  }
  if (!r.signal_ids().empty())
    absl::StrAppend(&line, "  signal ", absl::StrJoin(r.signal_ids(), ","));
  return absl::StrCat(OneLine(std::move(line)), "\n");
}

}  // namespace ketenhub
