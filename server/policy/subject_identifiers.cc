#include "server/policy/subject_identifiers.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ketenhub {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         text.find_first_not_of("0123456789") == absl::string_view::npos;
}

bool HasControl(absl::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::StatusOr<std::string> Phone(absl::string_view raw) {
  std::string text(absl::StripAsciiWhitespace(raw));
  if (text.empty()) return Invalid("phone", "required");
  if (text.size() > 40) return Invalid("phone", "longer than 40 bytes");
  // "+31 (0)6 ..." : the (0) is the national trunk prefix, not dialled.
  absl::StrReplaceAll({{"(0)", ""}}, &text);
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && i == 0) {
      plus = true;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '/' && c != '(' &&
               c != ')') {
      return Invalid("phone", "only digits, a leading +, spaces and - . / ( )");
    }
  }
  if (!plus && absl::StartsWith(digits, "00")) {
    digits.erase(0, 2);
    plus = true;
  } else if (!plus && absl::StartsWith(digits, "0")) {
    if (digits.size() != 10) {
      return Invalid("phone", "a Dutch number has 10 digits (06 1234 5678)");
    }
    digits.replace(0, 1, "31");
    plus = true;
  }
  if (!plus) {
    return Invalid("phone",
                   "start with + and the country code, 00, or 0 for a Dutch "
                   "number");
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return Invalid("phone", "not an international number (8 to 15 digits)");
  }
  if (absl::StartsWith(digits, "31") && digits.size() != 11) {
    return Invalid("phone", "a Dutch number has 9 digits after +31");
  }
  return absl::StrCat("phone:+", digits);
}

absl::StatusOr<std::string> Email(absl::string_view raw) {
  const std::string text =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (text.empty()) return Invalid("email", "required");
  if (text.size() > 254) return Invalid("email", "longer than 254 bytes");
  const size_t at = text.find('@');
  if (at == std::string::npos || text.find('@', at + 1) != std::string::npos) {
    return Invalid("email", "must hold exactly one @");
  }
  const absl::string_view local = absl::string_view(text).substr(0, at);
  const absl::string_view domain = absl::string_view(text).substr(at + 1);
  if (local.empty() || local.size() > 64) {
    return Invalid("email", "the part before @ must be 1 to 64 bytes");
  }
  if (domain.find('.') == absl::string_view::npos ||
      absl::StartsWith(domain, ".") || absl::EndsWith(domain, ".")) {
    return Invalid("email", "the part after @ must be a domain with a dot");
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Invalid("email", "no spaces or control characters");
    }
  }
  return absl::StrCat("email:", text);
}

absl::StatusOr<std::string> PostalAddress(const v1::Address& address) {
  std::string postcode = absl::AsciiStrToUpper(address.postcode());
  absl::StrReplaceAll({{" ", ""}}, &postcode);
  if (postcode.size() != 6 || !AllDigits(postcode.substr(0, 4)) ||
      postcode[0] == '0' ||
      !absl::ascii_isupper(static_cast<unsigned char>(postcode[4])) ||
      !absl::ascii_isupper(static_cast<unsigned char>(postcode[5]))) {
    return Invalid("address.postcode",
                   "four digits (not starting with 0) and two letters");
  }
  if (address.house_number() < 1 || address.house_number() > 99999) {
    return Invalid("address.house_number", "1 to 99999");
  }
  std::string addition;
  for (const char c : address.addition()) {
    if (c == ' ' || c == '-') continue;
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return Invalid("address.addition", "letters and digits only");
    }
    addition.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (addition.size() > 10) {
    return Invalid("address.addition", "at most 10 letters and digits");
  }
  return absl::StrCat("address:", postcode, "|", address.house_number(), "|",
                      addition);
}

absl::StatusOr<std::string> Alias(absl::string_view raw) {
  if (HasControl(absl::StrReplaceAll(raw, {{"\t", " "}, {"\n", " "}}))) {
    return Invalid("alias", "no control characters");
  }
  std::vector<absl::string_view> words =
      absl::StrSplit(raw, absl::ByAnyChar(" \t\n\r"), absl::SkipEmpty());
  const std::string alias = absl::AsciiStrToLower(absl::StrJoin(words, " "));
  if (alias.size() < 2) return Invalid("alias", "at least 2 characters");
  if (alias.size() > 100) return Invalid("alias", "longer than 100 bytes");
  return absl::StrCat("alias:", alias);
}

// A host name as given: lower case, without "www." and a trailing dot.
absl::StatusOr<std::string> Host(absl::string_view field,
                                 absl::string_view raw) {
  std::string host = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (absl::StartsWith(host, "www.")) host.erase(0, 4);
  if (absl::EndsWith(host, ".")) host.pop_back();
  if (host.find('.') == std::string::npos || host.size() > 253) {
    return Invalid(field, "must be a host name such as example.nl");
  }
  for (const char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '-') {
      return Invalid(field, "must be a host name such as example.nl");
    }
  }
  return host;
}

absl::StatusOr<std::string> AdvertRef(const v1::Advert& advert) {
  const absl::string_view url = absl::StripAsciiWhitespace(advert.url());
  if (!url.empty()) {
    if (!advert.site().empty() || !advert.advert_id().empty()) {
      return Invalid("advert", "give url, or site and advert_id, not both");
    }
    if (url.size() > 500) return Invalid("advert.url", "longer than 500 bytes");
    absl::string_view rest = url;
    const std::string lower_scheme =
        absl::AsciiStrToLower(rest.substr(0, std::min<size_t>(8, rest.size())));
    if (absl::StartsWith(lower_scheme, "https://")) {
      rest.remove_prefix(8);
    } else if (absl::StartsWith(lower_scheme, "http://")) {
      rest.remove_prefix(7);
    } else {
      return Invalid("advert.url", "must start with http:// or https://");
    }
    rest = rest.substr(0, rest.find('#'));
    const size_t path_at = rest.find_first_of("/?");
    absl::StatusOr<std::string> host =
        Host("advert.url", rest.substr(0, path_at));
    if (!host.ok()) return host.status();
    std::string path(path_at == absl::string_view::npos ? ""
                                                        : rest.substr(path_at));
    if (absl::EndsWith(path, "/")) path.pop_back();
    for (const char c : path) {
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
        return Invalid("advert.url", "no spaces or control characters");
      }
    }
    return absl::StrCat("advert:url|", *host, path);
  }
  if (advert.site().empty() || advert.advert_id().empty()) {
    return Invalid("advert", "url, or site and advert_id, required");
  }
  absl::StatusOr<std::string> site = Host("advert.site", advert.site());
  if (!site.ok()) return site.status();
  const absl::string_view id = absl::StripAsciiWhitespace(advert.advert_id());
  if (id.empty() || id.size() > 100) {
    return Invalid("advert.advert_id", "1 to 100 bytes");
  }
  for (const char c : id) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '|') {
      return Invalid("advert.advert_id", "no spaces, control characters or |");
    }
  }
  return absl::StrCat("advert:", *site, "|", id);
}

}  // namespace

v1::IdentifierKind KindOf(const v1::Identifier& identifier) {
  switch (identifier.value_case()) {
    case v1::Identifier::kPhone:
      return v1::IDENTIFIER_KIND_PHONE;
    case v1::Identifier::kEmail:
      return v1::IDENTIFIER_KIND_EMAIL;
    case v1::Identifier::kAddress:
      return v1::IDENTIFIER_KIND_ADDRESS;
    case v1::Identifier::kAlias:
      return v1::IDENTIFIER_KIND_ALIAS;
    case v1::Identifier::kAdvert:
      return v1::IDENTIFIER_KIND_ADVERT;
    case v1::Identifier::VALUE_NOT_SET:
      break;
  }
  return v1::IDENTIFIER_KIND_UNSPECIFIED;
}

absl::string_view KindName(v1::IdentifierKind kind) {
  switch (kind) {
    case v1::IDENTIFIER_KIND_BSN:
      return "bsn";
    case v1::IDENTIFIER_KIND_PERSON:
      return "person";
    case v1::IDENTIFIER_KIND_PHONE:
      return "phone";
    case v1::IDENTIFIER_KIND_EMAIL:
      return "email";
    case v1::IDENTIFIER_KIND_ADDRESS:
      return "address";
    case v1::IDENTIFIER_KIND_ALIAS:
      return "alias";
    case v1::IDENTIFIER_KIND_ADVERT:
      return "advert";
    default:
      return "unknown";
  }
}

absl::StatusOr<std::string> NormalisedIdentifier(
    const v1::Identifier& identifier) {
  switch (identifier.value_case()) {
    case v1::Identifier::kPhone:
      return Phone(identifier.phone());
    case v1::Identifier::kEmail:
      return Email(identifier.email());
    case v1::Identifier::kAddress:
      return PostalAddress(identifier.address());
    case v1::Identifier::kAlias:
      return Alias(identifier.alias());
    case v1::Identifier::kAdvert:
      return AdvertRef(identifier.advert());
    case v1::Identifier::VALUE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "identifier: set one of phone, email, address, alias, advert");
}

}  // namespace ketenhub
