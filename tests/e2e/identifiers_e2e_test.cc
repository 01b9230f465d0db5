// End to end for persons without a BSN: signals about weak identifiers
// alone (a phone number, an advert), possible matches between partners
// that name the kind shared and never its value, over real mutual TLS.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

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

// The policy says who may use which identifier, and which may stand alone.
TEST(IdentifiersE2eTest, ThePolicyRefusesAKindAPartnerMayNotUse) {
  TestHub hub;
  auto gemeente = hub.Client("gemeente-hilversum");
  v1::Signal alias_alone = ValidSignal("m-1", v1::CATEGORY_SEXUAL_EXPLOITATION);
  alias_alone.mutable_subject()->Clear();
  alias_alone.mutable_subject()->add_identifiers()->set_alias("Lisa");
  absl::StatusOr<v1::Receipt> refused = gemeente->Submit(alias_alone);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("rule: partners.identifiers.alone"));
  v1::Signal email = ValidSignal("m-2", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[1]);
  email.mutable_subject()->add_identifiers()->set_email("lisa@example.nl");
  refused = gemeente->Submit(email);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("may not identify a person by email"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("lisa")));
  // Beside a BSN the alias is fine.
  v1::Signal beside = ValidSignal("m-3", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                  testing::TestBsns()[1]);
  beside.mutable_subject()->add_identifiers()->set_alias("Lisa");
  EXPECT_TRUE(gemeente->Submit(beside).ok());
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 1);
}

// The rights by a weak identifier: export, the audit trail and erasure
// find every signal carrying it, however written, and only those.
TEST(IdentifiersE2eTest, ExportAuditQueryAndErasureWorkByPhoneNumber) {
  TestHub hub;
  v1::Signal known = ValidSignal("r-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[1]);
  known.mutable_subject()->add_identifiers()->set_phone("0612345678");
  absl::StatusOr<v1::Receipt> politie = hub.Client("politie")->Submit(known);
  absl::StatusOr<v1::Receipt> ggd =
      hub.Client("ggd")->Submit(AboutPhone("r-2", "+31 6 12 34 56 78"));
  // The same person by BSN, without the number: not found by it.
  absl::StatusOr<v1::Receipt> gemeente =
      hub.Client("gemeente-hilversum")
          ->Submit(ValidSignal("r-3", v1::CATEGORY_SEXUAL_EXPLOITATION,
                               testing::TestBsns()[1]));
  ASSERT_TRUE(politie.ok() && ggd.ok() && gemeente.ok());
  v1::Subject by_phone;
  by_phone.add_identifiers()->set_phone("06-12345678");

  absl::StatusOr<v1::ExportSubjectResponse> exported =
      hub.ExportSubject(by_phone);
  ASSERT_TRUE(exported.ok()) << exported.status();
  std::vector<std::string> ids;
  for (const v1::SubjectSignal& signal : exported->signals())
    ids.push_back(signal.signal_id());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(politie->signal_id(),
                                                   ggd->signal_id()));
  std::set<std::string> history;
  for (const v1::AuditRecord& record : exported->access_history()) {
    for (const std::string& id : record.signal_ids()) history.insert(id);
  }
  EXPECT_TRUE(history.contains(politie->signal_id()));
  EXPECT_TRUE(history.contains(ggd->signal_id()));

  v1::AuditQueryRequest query;
  *query.mutable_subject() = by_phone;
  query.set_operation("submit");
  std::set<std::string> submitted;
  for (const v1::AuditRecord& record :
       testing::QueryAudit(hub, std::move(query))) {
    submitted.insert(record.actor_partner_id());
  }
  // The police's signal is about the person known by BSN: the query by
  // the number finds that person's records, the municipality's too.
  EXPECT_EQ(submitted,
            (std::set<std::string>{"politie", "ggd", "gemeente-hilversum"}));

  // Neither both nor two identifiers at once.
  v1::Subject both = by_phone;
  both.set_bsn(testing::TestBsns()[1]);
  EXPECT_EQ(hub.ExportSubject(both).status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<v1::EraseSubjectResponse> erased =
      hub.EraseSubject(by_phone, "AVG-17 verzoek 2026-0200");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_THAT(
      erased->erased_signal_ids(),
      ::testing::UnorderedElementsAre(politie->signal_id(), ggd->signal_id()));
  v1::Subject by_bsn;
  by_bsn.set_bsn(testing::TestBsns()[1]);
  exported = hub.ExportSubject(by_bsn);
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->signals_size(), 1);
  EXPECT_EQ(exported->signals(0).signal_id(), gemeente->signal_id());
}

// An erased person's signals take their weak identifiers with them: a
// later signal sharing the phone number meets nobody.
TEST(IdentifiersE2eTest, ErasureRemovesTheWeakIdentifiersToo) {
  TestHub hub;
  v1::Signal known = ValidSignal("e-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[3]);
  known.mutable_subject()->add_identifiers()->set_phone("0611112222");
  ASSERT_TRUE(hub.Client("politie")->Submit(known).ok());
  v1::Subject erase;
  erase.set_bsn(testing::TestBsns()[3]);
  ASSERT_TRUE(hub.EraseSubject(erase, "AVG-17 verzoek 2026-0100").ok());
  ASSERT_TRUE(
      hub.Client("ggd")->Submit(AboutPhone("e-2", "+31611112222")).ok());
  const std::vector<v1::Event> events =
      CollectEvents(*hub.ChainDirector(), 10, std::nullopt, absl::Seconds(3));
  EXPECT_TRUE(Matches(events).empty());
}

// The police know the woman by BSN and her phone; the GGD only by the
// phone. Returns {police signal, GGD signal} once the possible match came.
std::pair<std::string, std::string> KnownAndUnknown(TestHub& hub) {
  v1::Signal known = ValidSignal("k-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[1]);
  known.mutable_subject()->add_identifiers()->set_phone("0612345678");
  absl::StatusOr<v1::Receipt> politie = hub.Client("politie")->Submit(known);
  absl::StatusOr<v1::Receipt> ggd =
      hub.Client("ggd")->Submit(AboutPhone("u-1", "+31 6 1234 5678"));
  EXPECT_TRUE(politie.ok() && ggd.ok());
  const std::vector<v1::MatchFound> matches =
      Matches(CollectEvents(*hub.ChainDirector(), 3));
  EXPECT_EQ(matches.size(), 1u);
  EXPECT_TRUE(!matches.empty() && matches[0].possible());
  return {politie.ok() ? politie->signal_id() : "",
          ggd.ok() ? ggd->signal_id() : ""};
}

v1::JudgeMatchRequest Judgement(const std::string& signal,
                                const std::string& other, bool confirm) {
  v1::JudgeMatchRequest request;
  request.set_signal_id(signal);
  request.set_other_signal_id(other);
  request.set_confirm(confirm);
  request.set_reason("zelfde nummer en beschrijving in beide signalen");
  return request;
}

// A later BSN signal from a third partner, and the match it brings.
v1::MatchFound LaterBsnSignal(TestHub& hub) {
  absl::StatusOr<v1::Receipt> gemeente =
      hub.Client("gemeente-hilversum")
          ->Submit(ValidSignal("g-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                               testing::TestBsns()[1]));
  EXPECT_TRUE(gemeente.ok()) << gemeente.status();
  const std::vector<v1::MatchFound> matches = Matches(
      CollectEvents(*hub.ChainDirector(), 10, std::nullopt, absl::Seconds(3)));
  EXPECT_EQ(matches.size(), 1u);
  return matches.empty() ? v1::MatchFound() : matches.back();
}

std::vector<std::string> Ids(const v1::MatchFound& match) {
  std::vector<std::string> ids;
  for (const v1::MatchedSignal& signal : match.signals())
    ids.push_back(signal.signal_id());
  return ids;
}

TEST(IdentifiersE2eTest, ConfirmingLinksThemAndALaterBsnSignalMatchesAll) {
  TestHub hub;
  const auto [politie, ggd] = KnownAndUnknown(hub);
  auto director = hub.ChainDirector();
  absl::StatusOr<v1::JudgeMatchResponse> linked =
      director->JudgeMatch(Judgement(ggd, politie, /*confirm=*/true));
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_THAT(linked->linked_signal_ids(),
              ::testing::UnorderedElementsAre(politie, ggd));
  // The stream hears of the link; the worklist has them as one person.
  const std::vector<v1::MatchFound> link = Matches(CollectEvents(*director, 1));
  ASSERT_EQ(link.size(), 1u);
  EXPECT_FALSE(link[0].possible());
  v1::WorklistRequest person;
  person.set_person_of(ggd);
  absl::StatusOr<v1::WorklistResponse> list = director->Worklist(person);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->items_size(), 2);

  // A later signal by BSN meets both, the GGD's too.
  const v1::MatchFound later = LaterBsnSignal(hub);
  EXPECT_FALSE(later.possible());
  EXPECT_EQ(later.signals_size(), 3);
  EXPECT_THAT(Ids(later), ::testing::Contains(ggd));

  // The judgement stays with both signals, with its person and reason;
  // the trail has the person and both signals, never the reason.
  absl::StatusOr<v1::ReleasedSignal> read = director->GetSignal(ggd);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->match_judgements_size(), 1);
  EXPECT_TRUE(read->match_judgements(0).confirmed());
  EXPECT_EQ(read->match_judgements(0).other_signal_id(), politie);
  EXPECT_EQ(read->match_judgements(0).judged_by(), "regisseur-1");
  v1::AuditQueryRequest judged;
  judged.set_operation("judge_match");
  const std::vector<v1::AuditRecord> records =
      testing::QueryAudit(hub, std::move(judged));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].acting_user_id(), "regisseur-1");
  EXPECT_EQ(records[0].signal_ids_size(), 2);
  EXPECT_EQ(records[0].details().at("confirm"), "true");
  EXPECT_THAT(records[0].DebugString(), Not(HasSubstr("beschrijving")));

  // Linked to the BSN person, the GGD's signal can no longer join another
  // person known by BSN who shares its number: that would make two BSN
  // persons one.
  v1::Signal other = ValidSignal("k-9", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[2]);
  other.mutable_subject()->add_identifiers()->set_phone("0612345678");
  absl::StatusOr<v1::Receipt> second =
      hub.Client("veilig-thuis")->Submit(other);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<v1::JudgeMatchResponse> merge =
      director->JudgeMatch(Judgement(ggd, second->signal_id(), true));
  EXPECT_EQ(merge.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(merge.status().message(), HasSubstr("confirm: both signals"));
  list = director->Worklist(person);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->items_size(), 3);  // politie, ggd, gemeente: no more

  // Linked survives a restart.
  hub.Restart();
  list = hub.ChainDirector()->Worklist(person);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->items_size(), 3);
}

// The worklist offers each possible match with both signals, naming the
// kind and the other signal; until it is judged.
std::vector<std::string> OfferedWith(ChainDirectorClient& director,
                                     const std::string& signal_id) {
  absl::StatusOr<v1::WorklistResponse> list =
      director.Worklist(v1::WorklistRequest());
  EXPECT_TRUE(list.ok()) << list.status();
  std::vector<std::string> offered;
  if (!list.ok()) return offered;
  for (const v1::WorkItem& item : list->items()) {
    if (item.signal_id() != signal_id) continue;
    for (const v1::PossibleMatch& match : item.possible_matches()) {
      EXPECT_THAT(match.shared_kinds(), ElementsAre(v1::IDENTIFIER_KIND_PHONE));
      offered.push_back(match.signal_id());
    }
  }
  return offered;
}

TEST(IdentifiersE2eTest, DismissingLinksNothing) {
  TestHub hub;
  const auto [politie, ggd] = KnownAndUnknown(hub);
  auto director = hub.ChainDirector();
  EXPECT_THAT(OfferedWith(*director, ggd), ElementsAre(politie));
  EXPECT_THAT(OfferedWith(*director, politie), ElementsAre(ggd));
  absl::StatusOr<v1::JudgeMatchResponse> dismissed =
      director->JudgeMatch(Judgement(ggd, politie, /*confirm=*/false));
  ASSERT_TRUE(dismissed.ok()) << dismissed.status();
  EXPECT_TRUE(dismissed->linked_signal_ids().empty());
  EXPECT_TRUE(OfferedWith(*director, ggd).empty());
  EXPECT_TRUE(OfferedWith(*director, politie).empty());
  const v1::MatchFound later = LaterBsnSignal(hub);
  EXPECT_EQ(later.signals_size(), 2);
  EXPECT_THAT(Ids(later), Not(::testing::Contains(ggd)));
  absl::StatusOr<v1::ReleasedSignal> read = director->GetSignal(politie);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->match_judgements_size(), 1);
  EXPECT_FALSE(read->match_judgements(0).confirmed());
}

TEST(IdentifiersE2eTest, AJudgementIsRefusedNamingWhyAndChangesNothing) {
  TestHub hub;
  const auto [politie, ggd] = KnownAndUnknown(hub);
  // Two persons known by different BSNs who share a phone.
  v1::Signal other = ValidSignal("k-2", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[2]);
  other.mutable_subject()->add_identifiers()->set_phone("0612345678");
  absl::StatusOr<v1::Receipt> second = hub.Client("ggd")->Submit(other);
  ASSERT_TRUE(second.ok());
  // And one sharing nothing.
  absl::StatusOr<v1::Receipt> apart =
      hub.Client("ggd")->Submit(AboutPhone("u-9", "0699999999", "ad-1"));
  ASSERT_TRUE(apart.ok());
  auto director = hub.ChainDirector();
  struct Case {
    v1::JudgeMatchRequest request;
    absl::StatusCode code;
    std::string says;
  };
  v1::JudgeMatchRequest no_reason = Judgement(ggd, politie, true);
  no_reason.set_reason(" ");
  const Case cases[] = {
      {Judgement(politie, second->signal_id(), true),
       absl::StatusCode::kFailedPrecondition,
       "confirm: both signals are about a person"},
      {Judgement(ggd, apart->signal_id(), true),
       absl::StatusCode::kFailedPrecondition, "shares no identifier"},
      {Judgement(ggd, ggd, true), absl::StatusCode::kInvalidArgument,
       "other_signal_id: must be another signal"},
      {no_reason, absl::StatusCode::kInvalidArgument, "reason"},
      {Judgement(ggd, "00000000-0000-4000-8000-000000000000", true),
       absl::StatusCode::kNotFound, "other_signal_id: no such signal"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<v1::JudgeMatchResponse> refused =
        director->JudgeMatch(c.request);
    EXPECT_EQ(refused.status().code(), c.code) << c.says;
    EXPECT_THAT(refused.status().message(), HasSubstr(c.says));
  }
  // Without a person: refused as unauthenticated.
  ClientOptions options = hub.Options("ketenregisseur");
  options.user_id.clear();
  options.user_role.clear();
  absl::StatusOr<std::unique_ptr<ChainDirectorClient>> nobody =
      ChainDirectorClient::Connect(options);
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(
      (*nobody)->JudgeMatch(Judgement(ggd, politie, true)).status().code(),
      absl::StatusCode::kUnauthenticated);
  // Nothing changed: no judgement, and still two persons.
  absl::StatusOr<v1::ReleasedSignal> read = director->GetSignal(ggd);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->match_judgements_size(), 0);
  v1::WorklistRequest person;
  person.set_person_of(ggd);
  EXPECT_EQ(director->Worklist(person)->items_size(), 1);
  // Dismissing two known persons is allowed: it says they are two.
  EXPECT_TRUE(
      director->JudgeMatch(Judgement(politie, second->signal_id(), false))
          .ok());
}

}  // namespace
}  // namespace ketenhub
