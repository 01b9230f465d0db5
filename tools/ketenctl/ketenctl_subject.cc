#include "tools/ketenctl/ketenctl_subject.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ketenhub {
namespace {

constexpr char kWhatToGive[] =
    "give --bsn, --name with --birth-date, or one of --phone, --email, "
    "--alias, --address, --advert";

// "1234AB 12 A" or "1234 AB 12": the postcode, the house number, the rest.
absl::StatusOr<v1::Address> ParseAddress(const std::string& text) {
  std::vector<std::string> words =
      absl::StrSplit(text, ' ', absl::SkipWhitespace());
  v1::Address address;
  size_t next = 0;
  if (!words.empty() && words[0].size() == 4 && words.size() > 1 &&
      words[1].size() == 2) {
    address.set_postcode(words[0] + words[1]);
    next = 2;
  } else if (!words.empty()) {
    address.set_postcode(words[0]);
    next = 1;
  }
  uint32_t number = 0;
  if (next >= words.size() || !absl::SimpleAtoi(words[next], &number)) {
    return absl::InvalidArgumentError(
        "--address: postcode, house number and addition, e.g. \"1234AB 12 "
        "A\"");
  }
  address.set_house_number(number);
  address.set_addition(absl::StrJoin(
      std::vector<std::string>(words.begin() + next + 1, words.end()), ""));
  return address;
}

}  // namespace

void SubjectOptions::Register(CLI::App* command) {
  command->add_option("--bsn", bsn_, "the person's BSN");
  command->add_option("--name", name_, "the person's name, with --birth-date");
  command->add_option("--birth-date", birth_date_, "YYYY-MM-DD, with --name");
  command->add_option("--phone", phone_,
                      "a phone number (any notation: 06 1234 5678, +31...)");
  command->add_option("--email", email_, "an e-mail address");
  command->add_option("--alias", alias_, "an alias or nickname");
  command->add_option("--address", address_,
                      "postcode, house number, addition: \"1234AB 12 A\"");
  command->add_option("--advert", advert_,
                      "an advert: its URL, or SITE#ID (example-ads.nl#123)");
}

absl::StatusOr<std::optional<v1::Subject>> SubjectOptions::Subject() const {
  v1::Subject subject;
  int given = 0;
  if (!bsn_.empty()) {
    subject.set_bsn(bsn_);
    ++given;
  }
  if (!name_.empty() || !birth_date_.empty()) {
    if (name_.empty() || birth_date_.empty()) {
      return absl::InvalidArgumentError("give --name with --birth-date");
    }
    subject.mutable_person()->set_name(name_);
    subject.mutable_person()->set_date_of_birth(birth_date_);
    ++given;
  }
  if (!phone_.empty()) {
    subject.add_identifiers()->set_phone(phone_);
    ++given;
  }
  if (!email_.empty()) {
    subject.add_identifiers()->set_email(email_);
    ++given;
  }
  if (!alias_.empty()) {
    subject.add_identifiers()->set_alias(alias_);
    ++given;
  }
  if (!address_.empty()) {
    absl::StatusOr<v1::Address> address = ParseAddress(address_);
    if (!address.ok()) return address.status();
    *subject.add_identifiers()->mutable_address() = *std::move(address);
    ++given;
  }
  if (!advert_.empty()) {
    v1::Advert* advert = subject.add_identifiers()->mutable_advert();
    if (absl::StartsWithIgnoreCase(advert_, "http")) {
      advert->set_url(advert_);
    } else {
      std::pair<std::string, std::string> site_id =
          absl::StrSplit(advert_, absl::MaxSplits('#', 1));
      advert->set_site(site_id.first);
      advert->set_advert_id(site_id.second);
    }
    ++given;
  }
  if (given == 0) return std::nullopt;
  if (given > 1) return absl::InvalidArgumentError(kWhatToGive);
  return subject;
}

}  // namespace ketenhub
