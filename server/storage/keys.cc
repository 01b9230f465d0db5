#include "server/storage/keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ketenhub::storage_keys {

std::string EncodeSequence(uint64_t sequence) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(sequence & 0xff);
    sequence >>= 8;
  }
  return key;
}

std::optional<uint64_t> DecodeSequence(absl::string_view key) {
  if (key.size() != 8) return std::nullopt;
  uint64_t sequence = 0;
  for (const char c : key)
    sequence = (sequence << 8) | static_cast<unsigned char>(c);
  return sequence;
}

std::string IdempotencyKey(absl::string_view partner_id,
                           absl::string_view client_ref) {
  return absl::StrCat(partner_id, absl::string_view("\0", 1), client_ref);
}

std::string SubjectIndexKey(absl::string_view subject_key, uint64_t sequence) {
  return absl::StrCat(subject_key, EncodeSequence(sequence));
}

std::string SubjectPartnerKey(absl::string_view subject_key,
                              absl::string_view partner_id) {
  return absl::StrCat(subject_key, partner_id);
}

std::string WorklistPrefix(absl::string_view receiver) {
  return absl::StrCat(receiver, absl::string_view("\0", 1));
}

std::string AuditNodeKey(int level, uint64_t index) {
  return absl::StrCat(std::string(1, static_cast<char>(level)),
                      EncodeSequence(index));
}

std::string AuditSubjectPrefix(absl::string_view subject_key) {
  return absl::StrCat("s", subject_key);
}

std::string AuditSignalPrefix(absl::string_view signal_id) {
  return absl::StrCat("g", signal_id, absl::string_view("\0", 1));
}

std::string AuditUserPrefix(absl::string_view user_id) {
  return absl::StrCat("u", user_id, absl::string_view("\0", 1));
}

std::vector<std::string> AuditIndexKeys(const v1::AuditRecord& record) {
  const std::string index = EncodeSequence(record.index());
  std::vector<std::string> keys;
  if (!record.data_subject_pseudonym().empty()) {
    keys.push_back(absl::StrCat(
        AuditSubjectPrefix(record.data_subject_pseudonym()), index));
  }
  for (const std::string& signal_id : record.signal_ids())
    keys.push_back(absl::StrCat(AuditSignalPrefix(signal_id), index));
  if (!record.acting_user_id().empty()) {
    keys.push_back(
        absl::StrCat(AuditUserPrefix(record.acting_user_id()), index));
  }
  return keys;
}

}  // namespace ketenhub::storage_keys
