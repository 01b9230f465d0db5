#ifndef KETENHUB_SERVER_POLICY_SUBJECT_IDENTIFIERS_H_
#define KETENHUB_SERVER_POLICY_SUBJECT_IDENTIFIERS_H_

// The weak identifiers of a subject (phone, e-mail, address, alias, sex
// advert): their normal forms, from which the hub's pseudonyms are made, so
// that one number written three ways is one pseudonym.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

// At most this many weak identifiers per subject.
inline constexpr int kMaxIdentifiers = 10;

// The kind of `identifier`'s value; UNSPECIFIED when none is set.
v1::IdentifierKind KindOf(const v1::Identifier& identifier);

// The kind's short name, as fields and events say it: "phone", "email",
// "address", "alias", "advert", "bsn", "person".
absl::string_view KindName(v1::IdentifierKind kind);

// "KIND:NORMAL FORM", e.g. "phone:+31612345678":
// - phone: E.164. Spaces, '-', '.', '/', brackets and a "(0)" after the
//   country code are dropped; "00" becomes "+"; a number starting with one
//   "0" is Dutch (10 digits). 8 to 15 digits after the "+"; a Dutch number
//   has 9 after "+31".
// - email: trimmed, lower case; one '@', a local part of at most 64 bytes, a
//   domain with a dot; at most 254 bytes.
// - address: "1234AB|12|A": the postcode without spaces in capitals (four
//   digits, not starting with 0, and two letters), the house number
//   (1..99999), the addition in capitals without spaces or '-'.
// - alias: whitespace runs made one space, trimmed, ASCII lower case; 2 to
//   100 bytes, no control characters.
// - advert: "site|id" (the site's host name in lower case without "www.",
//   the advert's id), or "url|host/path?query" (scheme, "www." and fragment
//   dropped, the host in lower case, a trailing '/' dropped).
// INVALID_ARGUMENT "FIELD: RULE" otherwise, FIELD relative to the
// identifier (e.g. "phone", "address.postcode"); never the value. The
// result is personal data: callers pseudonymise it and cleanse it.
absl::StatusOr<std::string> NormalisedIdentifier(
    const v1::Identifier& identifier);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_SUBJECT_IDENTIFIERS_H_
