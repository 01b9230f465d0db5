#ifndef KETENHUB_SERVER_COMMON_IDENTIFIERS_H_
#define KETENHUB_SERVER_COMMON_IDENTIFIERS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace ketenhub {

// Returns the canonical 9-digit form of a Dutch citizen service number (BSN)
// when `bsn` is 9 digits, or 8 digits to be read with a leading zero, and
// passes the 11-proef (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11, not all
// zeros). Returns nullopt otherwise. Thread-safe; never logs its argument.
std::optional<std::string> CanonicalBsn(absl::string_view bsn);

// True when `oin` (Organisatie-identificatienummer) is exactly 20 ASCII digits.
bool IsWellFormedOin(absl::string_view oin);

// Whether `id` has the shape of a signal id the hub gives out: a UUID in
// lower-case hex, 8-4-4-4-12. (Safe to record: it can carry no text.)
bool IsSignalIdShape(absl::string_view id);

// True when `code` is a CBS municipality code: "GM" and four digits (GM0402).
bool IsMunicipalityCode(absl::string_view code);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_IDENTIFIERS_H_
