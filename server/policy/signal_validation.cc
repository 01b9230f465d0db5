#include "server/policy/signal_validation.h"

#include <openssl/crypto.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "server/common/identifiers.h"
#include "server/common/status_macros.h"
#include "server/policy/subject_identifiers.h"

namespace ketenhub {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_bytes, bool required) {
  if (required && absl::StripAsciiWhitespace(value).empty()) {
    return Invalid(field, "required");
  }
  if (value.size() > max_bytes) {
    return Invalid(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckClientRef(absl::string_view ref, const SignalLimits& limits) {
  KETENHUB_RETURN_IF_ERROR(
      CheckText("client_ref", ref, limits.max_client_ref_bytes, true));
  for (const char c : ref) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != ':' && c != '-') {
      return Invalid("client_ref", "only letters, digits and . _ : - allowed");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDateOfBirth(absl::string_view date, absl::Time now) {
  absl::CivilDay day;
  if (date.size() != 10 || !absl::ParseCivilTime(date, &day) ||
      absl::FormatCivilTime(day) != date) {
    return Invalid("subject.person.date_of_birth", "must be a date YYYY-MM-DD");
  }
  if (day > absl::ToCivilDay(now, absl::UTCTimeZone()) ||
      day < absl::CivilDay(1900, 1, 1)) {
    return Invalid("subject.person.date_of_birth", "out of range");
  }
  return absl::OkStatus();
}

absl::Status CheckSubject(const v1::Signal& signal, const SignalLimits& limits,
                          absl::Time now) {
  if (!signal.has_subject()) return Invalid("subject", "required");
  const v1::Subject& subject = signal.subject();
  switch (subject.identifier_case()) {
    case v1::Subject::kBsn:
      if (!CanonicalBsn(subject.bsn())) {
        return Invalid("subject.bsn",
                       "must be 9 digits that pass the 11-proef");
      }
      break;
    case v1::Subject::kPerson:
      KETENHUB_RETURN_IF_ERROR(CheckText("subject.person.name",
                                         subject.person().name(),
                                         limits.max_short_field_bytes, true));
      KETENHUB_RETURN_IF_ERROR(
          CheckDateOfBirth(subject.person().date_of_birth(), now));
      break;
    case v1::Subject::IDENTIFIER_NOT_SET:
      if (subject.identifiers().empty()) {
        return Invalid("subject",
                       "bsn, person (name and date_of_birth), or at least "
                       "one of identifiers required");
      }
      break;
  }
  if (subject.identifiers_size() > kMaxIdentifiers) {
    return Invalid("subject.identifiers",
                   absl::StrCat("more than ", kMaxIdentifiers));
  }
  for (int i = 0; i < subject.identifiers_size(); ++i) {
    absl::StatusOr<std::string> normal =
        NormalisedIdentifier(subject.identifiers(i));
    if (!normal.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "subject.identifiers[", i, "].", normal.status().message()));
    }
    OPENSSL_cleanse(normal->data(), normal->size());
  }
  return absl::OkStatus();
}

absl::Status CheckObservedAt(const v1::Signal& signal,
                             const SignalLimits& limits, absl::Time now) {
  if (!signal.has_observed_at()) return Invalid("observed_at", "required");
  const auto& ts = signal.observed_at();
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return Invalid("observed_at", "not a valid timestamp");
  }
  const absl::Time observed = absl::FromUnixSeconds(ts.seconds());
  if (observed > now + limits.max_clock_skew)
    return Invalid("observed_at", "in the future");
  if (observed <
      absl::FromCivil(absl::CivilDay(1970, 1, 1), absl::UTCTimeZone())) {
    return Invalid("observed_at", "out of range");
  }
  return absl::OkStatus();
}

absl::Status CheckSections(const v1::Signal& signal,
                           const SignalLimits& limits) {
  if (static_cast<size_t>(signal.sections_size()) > limits.max_sections) {
    return Invalid("sections", absl::StrCat("more than ", limits.max_sections));
  }
  for (int i = 0; i < signal.sections_size(); ++i) {
    const v1::Section& section = signal.sections(i);
    const std::string field = absl::StrCat("sections[", i, "]");
    if (section.kind() == v1::DATA_KIND_UNSPECIFIED ||
        !v1::DataKind_IsValid(section.kind())) {
      return Invalid(absl::StrCat(field, ".kind"),
                     "must be GENERAL, HEALTH, CRIMINAL or POLICE");
    }
    KETENHUB_RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".title"),
                                       section.title(),
                                       limits.max_short_field_bytes, false));
    KETENHUB_RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".text"),
                                       section.text(), limits.max_section_bytes,
                                       true));
  }
  return absl::OkStatus();
}

absl::Status CheckContact(const v1::Signal& signal,
                          const SignalLimits& limits) {
  if (!signal.has_contact()) return Invalid("contact", "required");
  const v1::Contact& contact = signal.contact();
  const size_t max = limits.max_short_field_bytes;
  KETENHUB_RETURN_IF_ERROR(
      CheckText("contact.name", contact.name(), max, true));
  KETENHUB_RETURN_IF_ERROR(
      CheckText("contact.role", contact.role(), max, false));
  KETENHUB_RETURN_IF_ERROR(
      CheckText("contact.phone", contact.phone(), max, false));
  KETENHUB_RETURN_IF_ERROR(
      CheckText("contact.email", contact.email(), max, false));
  if (contact.phone().empty() && contact.email().empty()) {
    return Invalid("contact", "phone or email required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSignalId(absl::string_view signal_id) {
  if (signal_id.empty() || signal_id.size() > 64) {
    return absl::InvalidArgumentError("signal_id: required, at most 64 bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidateSignal(const v1::Signal& signal,
                            const SignalLimits& limits, absl::Time now) {
  KETENHUB_RETURN_IF_ERROR(CheckClientRef(signal.client_ref(), limits));
  if (signal.category() == v1::CATEGORY_UNSPECIFIED ||
      !v1::Category_IsValid(signal.category())) {
    return Invalid("category", "must be a known category");
  }
  if (signal.urgency() == v1::URGENCY_UNSPECIFIED ||
      !v1::Urgency_IsValid(signal.urgency())) {
    return Invalid("urgency", "must be ROUTINE, ELEVATED or ACUTE");
  }
  KETENHUB_RETURN_IF_ERROR(CheckSubject(signal, limits, now));
  if (!IsMunicipalityCode(signal.municipality())) {
    return Invalid("municipality", "must be a CBS code like GM0402");
  }
  KETENHUB_RETURN_IF_ERROR(CheckObservedAt(signal, limits, now));
  KETENHUB_RETURN_IF_ERROR(
      CheckText("summary", signal.summary(), limits.max_summary_bytes, true));
  KETENHUB_RETURN_IF_ERROR(CheckSections(signal, limits));
  KETENHUB_RETURN_IF_ERROR(CheckText("legal_basis", signal.legal_basis(),
                                     limits.max_short_field_bytes, true));
  return CheckContact(signal, limits);
}

absl::Status CheckRequiredText(absl::string_view field, absl::string_view value,
                               size_t max_bytes) {
  if (absl::StripAsciiWhitespace(value).empty() || value.size() > max_bytes) {
    return Invalid(field,
                   absl::StrCat("required, at most ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
