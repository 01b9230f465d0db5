#include "server/policy/subject_identifiers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Identifier Phone(const std::string& value) {
  v1::Identifier identifier;
  identifier.set_phone(value);
  return identifier;
}
v1::Identifier Email(const std::string& value) {
  v1::Identifier identifier;
  identifier.set_email(value);
  return identifier;
}
v1::Identifier Alias(const std::string& value) {
  v1::Identifier identifier;
  identifier.set_alias(value);
  return identifier;
}
v1::Identifier Address(const std::string& postcode, uint32_t number,
                       const std::string& addition) {
  v1::Identifier identifier;
  identifier.mutable_address()->set_postcode(postcode);
  identifier.mutable_address()->set_house_number(number);
  identifier.mutable_address()->set_addition(addition);
  return identifier;
}
v1::Identifier Advert(const std::string& site, const std::string& id,
                      const std::string& url) {
  v1::Identifier identifier;
  identifier.mutable_advert()->set_site(site);
  identifier.mutable_advert()->set_advert_id(id);
  identifier.mutable_advert()->set_url(url);
  return identifier;
}

struct Good {
  v1::Identifier identifier;
  std::string normal;
};

TEST(SubjectIdentifiersTest, EachKindHasOneNormalForm) {
  const Good cases[] = {
      {Phone("06 1234 5678"), "phone:+31612345678"},
      {Phone("0612345678"), "phone:+31612345678"},
      {Phone("+31612345678"), "phone:+31612345678"},
      {Phone("+31 (0)6-12 34 56 78"), "phone:+31612345678"},
      {Phone("0031 6 12345678"), "phone:+31612345678"},
      {Phone("(020) 123 45 67"), "phone:+31201234567"},
      {Phone("+48 601 234 567"), "phone:+48601234567"},
      {Phone(" +40.721.234.567 "), "phone:+40721234567"},
      {Email("  Iemand@Example.NL "), "email:iemand@example.nl"},
      {Email("a.b+c@mail.example.com"), "email:a.b+c@mail.example.com"},
      {Address("1234 ab", 12, "a"), "address:1234AB|12|A"},
      {Address("1234AB", 12, "2-hoog"), "address:1234AB|12|2HOOG"},
      {Address("9999zz", 1, ""), "address:9999ZZ|1|"},
      {Alias("  Kleine   Lisa "), "alias:kleine lisa"},
      {Alias("LISA\tB"), "alias:lisa b"},
      {Advert("www.Example-Ads.nl", "A-123", ""),
       "advert:example-ads.nl|A-123"},
      {Advert("", "", "HTTPS://www.Example-Ads.NL/nl/advert/123/#photos"),
       "advert:url|example-ads.nl/nl/advert/123"},
      {Advert("", "", "http://example-ads.nl/view?id=77"),
       "advert:url|example-ads.nl/view?id=77"},
  };
  for (const Good& good : cases) {
    absl::StatusOr<std::string> normal = NormalisedIdentifier(good.identifier);
    ASSERT_TRUE(normal.ok())
        << good.identifier.ShortDebugString() << ": " << normal.status();
    EXPECT_EQ(*normal, good.normal) << good.identifier.ShortDebugString();
  }
}

struct Bad {
  v1::Identifier identifier;
  std::string field;  // the message starts with it
  std::string rule;   // and says this
};

TEST(SubjectIdentifiersTest, EachKindRefusesWhatItCannotBeNamingTheField) {
  const Bad cases[] = {
      {Phone(""), "phone", "required"},
      {Phone("612345678"), "phone", "country code"},
      {Phone("06 1234 567"), "phone", "10 digits"},
      {Phone("06-CALL-ME"), "phone", "only digits"},
      {Phone("+31 6 1234 56789"), "phone", "9 digits after +31"},
      {Phone("+1234"), "phone", "8 to 15 digits"},
      {Phone("+1234567890123456"), "phone", "8 to 15 digits"},
      {Phone("+06 12345678"), "phone", "8 to 15 digits"},
      {Email("iemand"), "email", "exactly one @"},
      {Email("a@b@example.nl"), "email", "exactly one @"},
      {Email("@example.nl"), "email", "before @"},
      {Email("iemand@localhost"), "email", "domain with a dot"},
      {Email("ie mand@example.nl"), "email", "no spaces"},
      {Address("0123AB", 1, ""), "address.postcode", "four digits"},
      {Address("1234A", 1, ""), "address.postcode", "four digits"},
      {Address("1234AB", 0, ""), "address.house_number", "1 to 99999"},
      {Address("1234AB", 100000, ""), "address.house_number", "1 to 99999"},
      {Address("1234AB", 1, "a/b"), "address.addition", "letters and digits"},
      {Alias(" x "), "alias", "at least 2"},
      {Alias(std::string(101, 'x')), "alias", "longer than 100"},
      {Alias("li\x01sa"), "alias", "control"},
      {Advert("", "", ""), "advert", "required"},
      {Advert("example.nl", "", ""), "advert", "required"},
      {Advert("example.nl", "1", "https://example.nl/1"), "advert", "not both"},
      {Advert("", "", "ftp://example.nl/1"), "advert.url", "http"},
      {Advert("", "", "https:///1"), "advert.url", "host name"},
      {Advert("example", "1", ""), "advert.site", "host name"},
      {Advert("example.nl", "a b", ""), "advert.advert_id", "no spaces"},
      {v1::Identifier(), "identifier", "one of phone"},
  };
  for (const Bad& bad : cases) {
    absl::StatusOr<std::string> normal = NormalisedIdentifier(bad.identifier);
    ASSERT_FALSE(normal.ok()) << bad.identifier.ShortDebugString();
    EXPECT_EQ(normal.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(normal.status().message());
    EXPECT_EQ(message.rfind(bad.field + ": ", 0), 0u) << message;
    EXPECT_THAT(message, HasSubstr(bad.rule));
  }
}

TEST(SubjectIdentifiersTest, ARefusalNeverRepeatsTheValue) {
  for (const v1::Identifier& identifier :
       {Phone("06-GEHEIM-99"), Email("geheim@nergens"),
        Advert("", "", "ftp://geheim.example/99")}) {
    absl::StatusOr<std::string> normal = NormalisedIdentifier(identifier);
    ASSERT_FALSE(normal.ok());
    EXPECT_THAT(std::string(normal.status().message()),
                Not(HasSubstr("geheim")));
    EXPECT_THAT(std::string(normal.status().message()),
                Not(HasSubstr("GEHEIM")));
  }
}

TEST(SubjectIdentifiersTest, KindsHaveTheirNames) {
  EXPECT_EQ(KindOf(Phone("x")), v1::IDENTIFIER_KIND_PHONE);
  EXPECT_EQ(KindOf(Advert("a", "b", "")), v1::IDENTIFIER_KIND_ADVERT);
  EXPECT_EQ(KindOf(v1::Identifier()), v1::IDENTIFIER_KIND_UNSPECIFIED);
  EXPECT_EQ(KindName(v1::IDENTIFIER_KIND_PHONE), "phone");
  EXPECT_EQ(KindName(v1::IDENTIFIER_KIND_ADDRESS), "address");
}

}  // namespace
}  // namespace ketenhub
