// End to end for the figures for the council (ReportService): a hub seeded
// with a known population over real mutual TLS; every count exact, small
// counts suppressed so that rows, columns and totals do not give them away,
// only the roles the policy names answered, and every report audited.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/report.grpc.pb.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;

// The n-th of a series of BSNs that pass the 11-proef.
std::string TestBsn(int n) {
  for (int candidate = n * 10;; ++candidate) {
    std::string digits = absl::StrCat(10000000 + candidate % 89999999);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * (9 - i);
    const int check = sum % 11;
    if (check < 10) return absl::StrCat(digits, check);
  }
}

absl::StatusOr<v1::FiguresResponse> Figures(TestHub& hub, const std::string& as,
                                            v1::FiguresRequest request) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(hub.Options(as));
  if (!channel.ok()) return channel.status();
  std::unique_ptr<v1::ReportService::Stub> stub =
      v1::ReportService::NewStub(*channel);
  grpc::ClientContext context;
  v1::FiguresResponse response;
  grpc::Status status = stub->Figures(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

v1::FiguresRequest ThisYear(std::vector<v1::Dimension> by) {
  const absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  v1::FiguresRequest request;
  request.set_from_date(absl::StrCat(today.year(), "-01-01"));
  request.set_to_date(absl::StrCat(today.year(), "-12-31"));
  for (v1::Dimension dimension : by) request.add_by(dimension);
  return request;
}

const v1::FigureRow* RowWith(const v1::FiguresResponse& figures,
                             std::vector<std::string> keys) {
  for (const v1::FigureRow& row : figures.rows()) {
    if (std::vector<std::string>(row.keys().begin(), row.keys().end()) == keys)
      return &row;
  }
  return nullptr;
}

uint64_t Outcome(const v1::FigureRow& row, v1::Outcome outcome) {
  for (const v1::OutcomeFigure& figure : row.decisions()) {
    if (figure.outcome() == outcome) return figure.figure().value();
  }
  return 0;
}

class ReportE2eTest : public ::testing::Test {
 protected:
  std::string Submit(const std::string& partner, v1::Signal signal) {
    absl::StatusOr<v1::Receipt> receipt = hub_.Client(partner)->Submit(signal);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return receipt.ok() ? receipt->signal_id() : "";
  }

  // Police: 6 sexual exploitation (5 of them also from the GGD, with a
  // health section the chain director releases), 5 labour exploitation
  // (withdrawn), 3 domestic violence. The chain director and the care
  // coordinator decide 5 of the police's sexual exploitation signals.
  void Seed() {
    for (int i = 0; i < 6; ++i) {
      const std::string id = Submit(
          "politie", ValidSignal(absl::StrCat("se-", i),
                                 v1::CATEGORY_SEXUAL_EXPLOITATION, TestBsn(i)));
      if (i < 5) police_exploitation_.push_back(id);
    }
    for (int i = 0; i < 5; ++i) {
      v1::Signal signal =
          ValidSignal(absl::StrCat("ggd-", i), v1::CATEGORY_SEXUAL_EXPLOITATION,
                      TestBsn(i));
      signal.mutable_sections(0)->set_kind(v1::DATA_KIND_HEALTH);
      const std::string id = Submit("ggd", signal);
      v1::ReleaseRequest release;
      release.set_signal_id(id);
      release.set_kind(v1::DATA_KIND_HEALTH);
      release.set_legal_basis("Wmo 2015 art. 5.2.6");
      EXPECT_TRUE(hub_.ChainDirector()->Release(release).ok());
    }
    for (int i = 0; i < 5; ++i) {
      const std::string id =
          Submit("politie", ValidSignal(absl::StrCat("le-", i),
                                        v1::CATEGORY_LABOUR_EXPLOITATION,
                                        TestBsn(10 + i)));
      EXPECT_TRUE(hub_.Client("politie")->Withdraw(id, "dubbel").ok());
    }
    for (int i = 0; i < 3; ++i) {
      Submit("politie",
             ValidSignal(absl::StrCat("hg-", i), v1::CATEGORY_DOMESTIC_VIOLENCE,
                         TestBsn(20 + i)));
    }
    auto director = hub_.ChainDirector();
    auto care = hub_.ChainDirector("zorgcoordinator");
    for (const std::string& id : police_exploitation_) {
      EXPECT_TRUE(
          director->Decide(id, v1::OUTCOME_CASE_MEETING, "casusoverleg").ok());
      v1::DecideRequest reached;
      reached.set_signal_id(id);
      reached.set_outcome(v1::OUTCOME_VICTIM_REACHED);
      reached.set_reason("contact gelegd");
      EXPECT_TRUE(care->Decide(reached).ok());
    }
  }

  TestHub hub_;
  std::vector<std::string> police_exploitation_;
};

TEST_F(ReportE2eTest, EveryCountOfAKnownPopulationIsExact) {
  Seed();
  absl::StatusOr<v1::FiguresResponse> figures =
      Figures(hub_, "ketenregisseur", ThisYear({v1::DIMENSION_SOURCE}));
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures->threshold(), 5u);

  const v1::FigureRow* police = RowWith(*figures, {"politie"});
  ASSERT_NE(police, nullptr);
  EXPECT_EQ(police->signals().value(), 14u);
  EXPECT_EQ(police->persons().value(), 14u);
  EXPECT_EQ(police->matched().value(), 5u);
  EXPECT_EQ(police->withdrawn().value(), 5u);
  EXPECT_EQ(police->destroyed().value(), 0u);
  EXPECT_EQ(police->decided().value(), 5u);
  EXPECT_EQ(Outcome(*police, v1::OUTCOME_CASE_MEETING), 5u);
  EXPECT_EQ(Outcome(*police, v1::OUTCOME_VICTIM_REACHED), 5u);
  ASSERT_TRUE(police->has_median_hours_to_decision());
  EXPECT_GE(police->median_hours_to_decision(), 0);
  EXPECT_LT(police->median_hours_to_decision(), 1);

  const v1::FigureRow* ggd = RowWith(*figures, {"ggd"});
  ASSERT_NE(ggd, nullptr);
  EXPECT_EQ(ggd->signals().value(), 5u);
  EXPECT_EQ(ggd->persons().value(), 5u);
  EXPECT_EQ(ggd->matched().value(), 5u);
  ASSERT_EQ(ggd->releases_size(), 1);
  EXPECT_EQ(ggd->releases(0).kind(), v1::DATA_KIND_HEALTH);
  EXPECT_EQ(ggd->releases(0).figure().value(), 5u);

  const v1::FigureRow* total = RowWith(*figures, {""});
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->signals().value(), 19u);
  EXPECT_EQ(total->persons().value(), 14u);  // the GGD's five are the police's
  EXPECT_EQ(total->matched().value(), 10u);

  // By municipality: kept in clear, so counted without decrypting.
  figures =
      Figures(hub_, "ketenregisseur", ThisYear({v1::DIMENSION_MUNICIPALITY}));
  ASSERT_TRUE(figures.ok()) << figures.status();
  ASSERT_NE(RowWith(*figures, {"GM0402"}), nullptr);
  EXPECT_EQ(RowWith(*figures, {"GM0402"})->signals().value(), 19u);

  // By quarter: one period this year, and its margin.
  v1::FiguresRequest quarters = ThisYear({});
  quarters.set_period(v1::PERIOD_QUARTER);
  figures = Figures(hub_, "operator", quarters);
  ASSERT_TRUE(figures.ok()) << figures.status();
  ASSERT_EQ(figures->rows_size(), 2);
  EXPECT_THAT(figures->rows(0).period(),
              ::testing::MatchesRegex("20[0-9]{2}-Q[1-4]"));
  EXPECT_EQ(figures->rows(0).signals().value(), 19u);
  EXPECT_EQ(figures->rows(1).period(), "");
}

// A tiny population built for it: sexual and labour exploitation from the
// police and the GGD, one cell small. Subtracting in its row, its column or
// the totals must not give it away.
TEST_F(ReportE2eTest, SuppressionHoldsAcrossTwoDimensions) {
  const struct {
    const char* partner;
    v1::Category category;
    int count;
  } cells[] = {{"politie", v1::CATEGORY_SEXUAL_EXPLOITATION, 2},
               {"ggd", v1::CATEGORY_SEXUAL_EXPLOITATION, 9},
               {"politie", v1::CATEGORY_LABOUR_EXPLOITATION, 7},
               {"ggd", v1::CATEGORY_LABOUR_EXPLOITATION, 11}};
  int n = 0;
  for (const auto& cell : cells) {
    for (int i = 0; i < cell.count; ++i, ++n) {
      Submit(cell.partner,
             ValidSignal(absl::StrCat("t-", n), cell.category, TestBsn(n)));
    }
  }
  absl::StatusOr<v1::FiguresResponse> figures =
      Figures(hub_, "ketenregisseur",
              ThisYear({v1::DIMENSION_CATEGORY, v1::DIMENSION_SOURCE}));
  ASSERT_TRUE(figures.ok()) << figures.status();
  auto signals = [&](const std::string& category, const std::string& source) {
    const v1::FigureRow* row = RowWith(*figures, {category, source});
    EXPECT_NE(row, nullptr) << category << " " << source;
    return row == nullptr ? v1::Figure() : row->signals();
  };
  const std::string se = "CATEGORY_SEXUAL_EXPLOITATION";
  const std::string le = "CATEGORY_LABOUR_EXPLOITATION";
  EXPECT_EQ(signals(se, "politie").suppression(), v1::SUPPRESSION_SMALL);
  EXPECT_EQ(signals(se, "politie").value(), 0u);  // the count never leaves
  EXPECT_EQ(signals("", "").value(), 29u);
  // In every row, column and total: never exactly one hidden count (it
  // would be the total minus the rest).
  std::vector<std::vector<std::string>> groups[2];
  for (const std::string& category : {se, le, std::string()}) {
    std::vector<std::string> group;
    for (const std::string& source : {"politie", "ggd", ""}) {
      group.push_back(source);
    }
    int hidden = 0;
    for (const std::string& source : group) {
      hidden += signals(category, source).suppression() != v1::SUPPRESSION_NONE;
    }
    EXPECT_NE(hidden, 1) << "row " << category;
  }
  for (const std::string& source : {"politie", "ggd", ""}) {
    int hidden = 0;
    for (const std::string& category : {se, le, std::string()}) {
      hidden += signals(category, source).suppression() != v1::SUPPRESSION_NONE;
    }
    EXPECT_NE(hidden, 1) << "column " << source;
  }
  // The police's row (2 + 7 = 9) and the sexual exploitation column
  // (2 + 9 = 11) are shown, so both partners of the small cell are hidden,
  // and so is the fourth cell, else it would give its neighbours away.
  EXPECT_EQ(signals(se, "ggd").suppression(), v1::SUPPRESSION_SECONDARY);
  EXPECT_EQ(signals(le, "politie").suppression(), v1::SUPPRESSION_SECONDARY);
  EXPECT_EQ(signals(le, "ggd").suppression(), v1::SUPPRESSION_SECONDARY);
  // Persons beside hidden signals are hidden too.
  EXPECT_NE(RowWith(*figures, {se, "politie"})->persons().suppression(),
            v1::SUPPRESSION_NONE);
}

TEST_F(ReportE2eTest, OnlyThePolicysRolesGetFiguresAndEachReportIsAudited) {
  Submit("politie", ValidSignal("r-1"));
  for (const char* refused : {"politie", "auditor"}) {
    absl::StatusOr<v1::FiguresResponse> figures =
        Figures(hub_, refused, ThisYear({}));
    EXPECT_EQ(figures.status().code(), absl::StatusCode::kPermissionDenied)
        << refused;
    EXPECT_THAT(figures.status().message(), HasSubstr("report_roles"));
  }
  v1::FiguresRequest backwards = ThisYear({});
  backwards.set_to_date("2001-01-01");
  EXPECT_THAT(Figures(hub_, "ketenregisseur", backwards).status().message(),
              HasSubstr("to_date"));
  v1::FiguresRequest twice = ThisYear({v1::DIMENSION_CATEGORY});
  twice.add_by(v1::DIMENSION_CATEGORY);
  EXPECT_EQ(Figures(hub_, "ketenregisseur", twice).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(Figures(hub_, "zorgcoordinator", ThisYear({})).ok());
  ASSERT_TRUE(
      Figures(hub_, "ketenregisseur", ThisYear({v1::DIMENSION_CATEGORY})).ok());
  v1::AuditQueryRequest query;
  query.set_operation("report");
  std::vector<v1::AuditRecord> records = testing::QueryAudit(hub_, query);
  ASSERT_EQ(records.size(), 6u);  // two refused roles, two bad, two answered
  const v1::AuditRecord& last = records.back();
  EXPECT_EQ(last.status_code(), "OK");
  EXPECT_EQ(last.actor_partner_id(), "ketenregisseur");
  EXPECT_EQ(last.actor_role(), "ROLE_CHAIN_DIRECTOR");
  EXPECT_EQ(last.acting_user_id(), "regisseur-1");
  EXPECT_EQ(last.details().at("by"), "DIMENSION_CATEGORY");
  EXPECT_TRUE(last.data_subject_pseudonym().empty());
  EXPECT_EQ(records[0].actor_partner_id(), "politie");
  EXPECT_NE(records[0].status_code(), "OK");
}

TEST_F(ReportE2eTest, NoReportHoldsABsnANameOrANarrative) {
  Seed();
  absl::StatusOr<v1::FiguresResponse> figures =
      Figures(hub_, "ketenregisseur",
              ThisYear({v1::DIMENSION_CATEGORY, v1::DIMENSION_SOURCE,
                        v1::DIMENSION_MUNICIPALITY}));
  ASSERT_TRUE(figures.ok()) << figures.status();
  const std::string text = figures->DebugString();
  for (int i = 0; i < 23; ++i)
    EXPECT_THAT(text, ::testing::Not(HasSubstr(TestBsn(i))));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(testing::kTestNarrative)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(testing::kTestContactName)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(testing::kTestSectionText)));
}

}  // namespace
}  // namespace ketenhub
