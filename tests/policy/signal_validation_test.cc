#include "server/policy/signal_validation.h"

#include <functional>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status Validate(const v1::Signal& signal) {
  return ValidateSignal(signal, SignalLimits(), absl::Now());
}

TEST(SignalValidationTest, AcceptsValidSignal) {
  EXPECT_TRUE(Validate(ValidSignal("ref-1")).ok());
}

TEST(SignalValidationTest, AcceptsNamedPersonWithoutBsn) {
  v1::Signal signal = ValidSignal("ref-1");
  signal.mutable_subject()->mutable_person()->set_name("Jan Jansen");
  signal.mutable_subject()->mutable_person()->set_date_of_birth("1990-02-28");
  EXPECT_TRUE(Validate(signal).ok());
}

TEST(SignalValidationTest, BsnRefusalDoesNotRepeatTheBsn) {
  v1::Signal signal = ValidSignal("ref-1");
  signal.mutable_subject()->set_bsn("999990018");
  absl::Status status = Validate(signal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("subject.bsn"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("999990018")));
}

struct Mutation {
  std::string name;
  std::function<void(v1::Signal&)> apply;
  std::string field;  // the message must start with it
};

class InvalidSignalTest : public ::testing::TestWithParam<Mutation> {};

TEST_P(InvalidSignalTest, IsRefusedNamingTheField) {
  v1::Signal signal = ValidSignal("ref-1");
  GetParam().apply(signal);
  absl::Status status = Validate(signal);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::StartsWith(GetParam().field + ":"));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, InvalidSignalTest,
    ::testing::Values(
        Mutation{"EmptyClientRef", [](v1::Signal& s) { s.clear_client_ref(); },
                 "client_ref"},
        Mutation{"ClientRefWithSpace",
                 [](v1::Signal& s) { s.set_client_ref("a b"); }, "client_ref"},
        Mutation{"LongClientRef",
                 [](v1::Signal& s) { s.set_client_ref(std::string(129, 'a')); },
                 "client_ref"},
        Mutation{"NoCategory", [](v1::Signal& s) { s.clear_category(); },
                 "category"},
        Mutation{"UnknownCategory",
                 [](v1::Signal& s) {
                   s.set_category(static_cast<v1::Category>(99));
                 },
                 "category"},
        Mutation{"NoUrgency", [](v1::Signal& s) { s.clear_urgency(); },
                 "urgency"},
        Mutation{"NoSubject", [](v1::Signal& s) { s.clear_subject(); },
                 "subject"},
        Mutation{"EmptySubject",
                 [](v1::Signal& s) { s.mutable_subject()->Clear(); },
                 "subject"},
        Mutation{
            "BadBsn",
            [](v1::Signal& s) { s.mutable_subject()->set_bsn("123456789"); },
            "subject.bsn"},
        Mutation{
            "ZeroBsn",
            [](v1::Signal& s) { s.mutable_subject()->set_bsn("000000000"); },
            "subject.bsn"},
        Mutation{"PersonWithoutName",
                 [](v1::Signal& s) {
                   s.mutable_subject()->mutable_person()->set_date_of_birth(
                       "1990-01-01");
                 },
                 "subject.person.name"},
        Mutation{"PersonBadDate",
                 [](v1::Signal& s) {
                   s.mutable_subject()->mutable_person()->set_name("Jan");
                   s.mutable_subject()->mutable_person()->set_date_of_birth(
                       "1990-02-30");
                 },
                 "subject.person.date_of_birth"},
        Mutation{"PersonFutureBirth",
                 [](v1::Signal& s) {
                   s.mutable_subject()->mutable_person()->set_name("Jan");
                   s.mutable_subject()->mutable_person()->set_date_of_birth(
                       "2999-01-01");
                 },
                 "subject.person.date_of_birth"},
        Mutation{"BadMunicipality",
                 [](v1::Signal& s) { s.set_municipality("Hilversum"); },
                 "municipality"},
        Mutation{"NoObservedAt", [](v1::Signal& s) { s.clear_observed_at(); },
                 "observed_at"},
        Mutation{"FutureObservedAt",
                 [](v1::Signal& s) {
                   s.mutable_observed_at()->set_seconds(
                       absl::ToUnixSeconds(absl::Now()) + 86400);
                 },
                 "observed_at"},
        Mutation{"BadNanos",
                 [](v1::Signal& s) { s.mutable_observed_at()->set_nanos(-1); },
                 "observed_at"},
        Mutation{"NoSummary", [](v1::Signal& s) { s.set_summary("   "); },
                 "summary"},
        Mutation{"LongSummary",
                 [](v1::Signal& s) { s.set_summary(std::string(4001, 'x')); },
                 "summary"},
        Mutation{"SectionWithoutKind",
                 [](v1::Signal& s) { s.mutable_sections(0)->clear_kind(); },
                 "sections[0].kind"},
        Mutation{"EmptySectionText",
                 [](v1::Signal& s) { s.mutable_sections(0)->clear_text(); },
                 "sections[0].text"},
        Mutation{"LongSectionText",
                 [](v1::Signal& s) {
                   s.mutable_sections(0)->set_text(std::string(16001, 'x'));
                 },
                 "sections[0].text"},
        Mutation{"TooManySections",
                 [](v1::Signal& s) {
                   for (int i = 0; i < 20; ++i)
                     *s.add_sections() = s.sections(0);
                 },
                 "sections"},
        Mutation{"NoLegalBasis", [](v1::Signal& s) { s.clear_legal_basis(); },
                 "legal_basis"},
        Mutation{"NoContact", [](v1::Signal& s) { s.clear_contact(); },
                 "contact"},
        Mutation{"ContactWithoutName",
                 [](v1::Signal& s) { s.mutable_contact()->clear_name(); },
                 "contact.name"},
        Mutation{"ContactUnreachable",
                 [](v1::Signal& s) { s.mutable_contact()->clear_phone(); },
                 "contact"}),
    [](const ::testing::TestParamInfo<Mutation>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace ketenhub
