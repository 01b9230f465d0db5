// End to end for persons without a BSN: signals about weak identifiers
// alone (a phone number, an advert), possible matches between partners
// that name the kind shared and never its value, over real mutual TLS.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::CollectEvents;
using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A signal about no known person: only `phone` and the advert `advert_id`.
v1::Signal AboutPhone(const std::string& ref, const std::string& phone,
                      const std::string& advert_id = "ad-0") {
  v1::Signal signal = ValidSignal(ref, v1::CATEGORY_SEXUAL_EXPLOITATION);
  signal.mutable_subject()->Clear();
  signal.mutable_subject()->add_identifiers()->set_phone(phone);
  v1::Advert* advert =
      signal.mutable_subject()->add_identifiers()->mutable_advert();
  advert->set_site("example-ads.nl");
  advert->set_advert_id(advert_id);
  return signal;
}

std::vector<v1::MatchFound> Matches(const std::vector<v1::Event>& events) {
  std::vector<v1::MatchFound> matches;
  for (const v1::Event& event : events) {
    if (event.has_match_found()) matches.push_back(event.match_found());
  }
  return matches;
}

// Every byte under `dir`, to look for what must not be there.
std::string AllBytesUnder(const std::string& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

TEST(IdentifiersE2eTest,
     OnePhoneNumberWrittenTwoWaysIsAPossibleMatchOfKindPhone) {
  TestHub hub;
  absl::StatusOr<v1::Receipt> politie = hub.Client("politie")->Submit(
      AboutPhone("advert-1", "06 1234 5678", "ad-9917"));
  ASSERT_TRUE(politie.ok()) << politie.status();
  absl::StatusOr<v1::Receipt> ggd = hub.Client("ggd")->Submit(
      AboutPhone("veldwerk-1", "+31612345678", "ad-4410"));
  ASSERT_TRUE(ggd.ok()) << ggd.status();

  // Two signals received, one possible match.
  const std::vector<v1::Event> events = CollectEvents(*hub.ChainDirector(), 3);
  const std::vector<v1::MatchFound> matches = Matches(events);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_TRUE(matches[0].possible());
  EXPECT_THAT(matches[0].shared_kinds(),
              ElementsAre(v1::IDENTIFIER_KIND_PHONE));
  ASSERT_EQ(matches[0].signals_size(), 2);
  EXPECT_EQ(matches[0].signals(0).signal_id(), politie->signal_id());
  EXPECT_EQ(matches[0].signals(1).signal_id(), ggd->signal_id());
  EXPECT_THAT(matches[0].DebugString(), Not(HasSubstr("612345678")));

  // The chain director reads the signal with its identifiers as given.
  absl::StatusOr<v1::ReleasedSignal> read =
      hub.ChainDirector()->GetSignal(ggd->signal_id());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->subject().identifiers_size(), 2);
  EXPECT_EQ(read->subject().identifiers(0).phone(), "+31612345678");
  EXPECT_FALSE(read->subject().has_person());

  // Neither the data folder nor the audit trail holds the number, the
  // advert or the normal form, in any of the ways it was written.
  v1::AuditQueryRequest everything;
  std::string audit;
  for (const v1::AuditRecord& record :
       testing::QueryAudit(hub, std::move(everything))) {
    audit += record.DebugString();
  }
  hub.Shutdown();
  const std::string stored = AllBytesUnder(hub.data_dir());
  for (const char* secret :
       {"612345678", "1234 5678", "ad-9917", "ad-4410", "example-ads.nl"}) {
    EXPECT_FALSE(absl::StrContains(stored, secret)) << secret << " stored";
    EXPECT_FALSE(absl::StrContains(audit, secret)) << secret << " audited";
  }
}

TEST(IdentifiersE2eTest, OnlyAnotherPartnerAndAnotherPersonMakeAPossibleMatch) {
  TestHub hub;
  auto politie = hub.Client("politie");
  auto ggd = hub.Client("ggd");
  // The same partner twice about one number: no match of any kind.
  ASSERT_TRUE(politie->Submit(AboutPhone("p-1", "0612345678")).ok());
  ASSERT_TRUE(politie->Submit(AboutPhone("p-2", "0612345678")).ok());
  // Two partners about one BSN who also share a phone number: a match,
  // not also a possible one.
  v1::Signal known = ValidSignal("p-3", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[1]);
  known.mutable_subject()->add_identifiers()->set_phone("0687654321");
  ASSERT_TRUE(politie->Submit(known).ok());
  known.set_client_ref("g-3");
  known.mutable_subject()->mutable_identifiers(0)->set_phone("+31687654321");
  ASSERT_TRUE(ggd->Submit(known).ok());

  // Four signals and one match; wait for anything beyond them.
  const std::vector<v1::MatchFound> matches = Matches(
      CollectEvents(*hub.ChainDirector(), 6, std::nullopt, absl::Seconds(3)));
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_FALSE(matches[0].possible());
  EXPECT_EQ(matches[0].signals_size(), 2);
}

TEST(IdentifiersE2eTest, ABadIdentifierIsRefusedNamingItAndStoresNothing) {
  TestHub hub;
  auto politie = hub.Client("politie");
  v1::Signal signal = AboutPhone("bad-1", "06-CALL-ME");
  absl::StatusOr<v1::Receipt> refused = politie->Submit(signal);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("subject.identifiers[0].phone: only digits"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("CALL")));
  signal.mutable_subject()->Clear();
  refused = politie->Submit(signal);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("subject: bsn, person"));
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 0);
}

// An erased person's signals take their weak identifiers with them: a
// later signal sharing the phone number meets nobody.
TEST(IdentifiersE2eTest, ErasureRemovesTheWeakIdentifiersToo) {
  TestHub hub;
  v1::Signal known = ValidSignal("e-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[3]);
  known.mutable_subject()->add_identifiers()->set_phone("0611112222");
  ASSERT_TRUE(hub.Client("politie")->Submit(known).ok());
  v1::EraseSubjectRequest erase;
  erase.mutable_subject()->set_bsn(testing::TestBsns()[3]);
  erase.set_reason("AVG-17 verzoek 2026-0100");
  v1::EraseSubjectResponse erased;
  grpc::ClientContext context;
  ASSERT_TRUE(hub.Admin()->EraseSubject(&context, erase, &erased).ok());
  ASSERT_TRUE(
      hub.Client("ggd")->Submit(AboutPhone("e-2", "+31611112222")).ok());
  const std::vector<v1::Event> events =
      CollectEvents(*hub.ChainDirector(), 10, std::nullopt, absl::Seconds(3));
  EXPECT_TRUE(Matches(events).empty());
}

}  // namespace
}  // namespace ketenhub
