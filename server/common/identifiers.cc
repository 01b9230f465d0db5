#include "server/common/identifiers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace ketenhub {
namespace {

bool AllDigits(absl::string_view text) {
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> CanonicalBsn(absl::string_view bsn) {
  if ((bsn.size() != 8 && bsn.size() != 9) || !AllDigits(bsn)) {
    return std::nullopt;
  }
  std::string digits = bsn.size() == 8 ? "0" : "";
  digits.append(bsn.data(), bsn.size());
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    sum += (i < 8 ? 9 - i : -1) * (digits[i] - '0');
  }
  if (digits == "000000000" || sum % 11 != 0) return std::nullopt;
  return digits;
}

bool IsWellFormedOin(absl::string_view oin) {
  return oin.size() == 20 && AllDigits(oin);
}

bool IsMunicipalityCode(absl::string_view code) {
  return code.size() == 6 && code.substr(0, 2) == "GM" &&
         AllDigits(code.substr(2));
}

bool IsSignalIdShape(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace ketenhub
