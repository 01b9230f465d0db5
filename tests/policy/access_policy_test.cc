#include "server/policy/access_policy.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/policy/operations.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;

constexpr char kExamplePolicy[] =
    KETENHUB_SOURCE_DIR "/deploy/policy-example.textproto";

constexpr char kSmallPolicy[] = R"pb(
  partners {
    id: "ggd"
    name: "GGD"
    oin: "00000099000000000002"
    roles: ROLE_SUBMITTER
    regime: DATA_REGIME_AVG
    may_submit: [ CATEGORY_SEXUAL_EXPLOITATION ]
  }
  partners {
    id: "auditor"
    name: "FG"
    oin: "00000099000000000006"
    roles: ROLE_AUDITOR
    regime: DATA_REGIME_AVG
  }
)pb";

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

TEST(AccessPolicyTest, LoadsTheExamplePolicy) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(kExamplePolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->policy().partners_size(), 8);
  EXPECT_EQ((*policy)->version().size(), 64u);
}

TEST(AccessPolicyTest, FindsPartnerByOin) {
  auto policy = *AccessPolicy::FromText(kSmallPolicy, "test");
  absl::StatusOr<const v1::Partner*> partner =
      policy->PartnerForOin("00000099000000000002");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ((*partner)->id(), "ggd");
}

TEST(AccessPolicyTest, UnknownOinIsUnauthenticated) {
  auto policy = *AccessPolicy::FromText(kSmallPolicy, "test");
  EXPECT_EQ(policy->PartnerForOin("00000099000000000099").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AccessPolicyTest, AllowsListedCategory) {
  auto policy = *AccessPolicy::FromText(kSmallPolicy, "test");
  const v1::Partner& ggd = **policy->PartnerForOin("00000099000000000002");
  EXPECT_TRUE(
      policy->CheckMaySubmit(ggd, v1::CATEGORY_SEXUAL_EXPLOITATION).ok());
}

TEST(AccessPolicyTest, DeniesUnlistedCategoryNamingTheRule) {
  auto policy = *AccessPolicy::FromText(kSmallPolicy, "test");
  const v1::Partner& ggd = **policy->PartnerForOin("00000099000000000002");
  absl::Status status =
      policy->CheckMaySubmit(ggd, v1::CATEGORY_DOMESTIC_VIOLENCE);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(status), HasSubstr("CATEGORY_DOMESTIC_VIOLENCE"));
  EXPECT_THAT(Message(status), HasSubstr("may_submit"));
}

TEST(AccessPolicyTest, DeniesSubmitWithoutSubmitterRole) {
  auto policy = *AccessPolicy::FromText(kSmallPolicy, "test");
  const v1::Partner& auditor = **policy->PartnerForOin("00000099000000000006");
  absl::Status status = policy->CheckMaySubmit(auditor, v1::CATEGORY_OTHER);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(status), HasSubstr("ROLE_SUBMITTER"));
}

TEST(AccessPolicyTest, ExamplePolicyKeepsGgdFromDomesticViolence) {
  auto policy = *AccessPolicy::FromFile(kExamplePolicy);
  const v1::Partner& ggd = **policy->PartnerForOin("00000099000000000002");
  EXPECT_FALSE(
      policy->CheckMaySubmit(ggd, v1::CATEGORY_DOMESTIC_VIOLENCE).ok());
  const v1::Partner& politie = **policy->PartnerForOin("00000099000000000001");
  EXPECT_TRUE(
      policy->CheckMaySubmit(politie, v1::CATEGORY_DOMESTIC_VIOLENCE).ok());
}

TEST(AccessPolicyTest, ParseErrorNamesTheLine) {
  absl::Status status =
      AccessPolicy::FromText("partners {\n  id: \"x\"\n  colour: 3\n}\n",
                             "p.textproto")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("p.textproto"));
  EXPECT_THAT(Message(status), HasSubstr("line 3"));
}

struct BadPolicyCase {
  std::string text;
  std::string expected;
};

class BadPolicyTest : public ::testing::TestWithParam<BadPolicyCase> {};

TEST_P(BadPolicyTest, IsRefusedNamingTheField) {
  absl::Status status =
      AccessPolicy::FromText(GetParam().text, "test").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BadPolicyTest,
    ::testing::Values(
        BadPolicyCase{"", "registry is empty"},
        BadPolicyCase{R"pb(partners {
                             id: "A"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           })pb",
                      "id:"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "123"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           })pb",
                      "oin: must be 20 digits"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           partners {
                             id: "b"
                             name: "b"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           })pb",
                      "oin: used by another partner"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           partners {
                             id: "a"
                             name: "b"
                             oin: "00000099000000000002"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           })pb",
                      "id: used twice"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             regime: DATA_REGIME_AVG
                           })pb",
                      "roles: at least one"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                           })pb",
                      "regime:"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                             may_submit: CATEGORY_OTHER
                           })pb",
                      "may_submit: needs role ROLE_SUBMITTER"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                             identifiers { kind: IDENTIFIER_KIND_PHONE }
                           })pb",
                      "identifiers: needs role ROLE_SUBMITTER"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_SUBMITTER
                             regime: DATA_REGIME_AVG
                             identifiers { kind: IDENTIFIER_KIND_BSN }
                           })pb",
                      "(a): identifiers.kind: PHONE, EMAIL"},
        BadPolicyCase{
            R"pb(partners {
                   id: "a"
                   name: "a"
                   oin: "00000099000000000001"
                   roles: ROLE_SUBMITTER
                   regime: DATA_REGIME_AVG
                   identifiers { kind: IDENTIFIER_KIND_ALIAS }
                   identifiers { kind: IDENTIFIER_KIND_ALIAS alone: true }
                 })pb",
            "identifiers: IDENTIFIER_KIND_ALIAS listed twice"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_OPERATOR
                             regime: DATA_REGIME_AVG
                           }
                           report_roles: ROLE_SUBMITTER)pb",
                      "report_roles: ROLE_SUBMITTER may not read figures"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_OPERATOR
                             regime: DATA_REGIME_AVG
                           }
                           report_roles: [ ROLE_OPERATOR, ROLE_OPERATOR ])pb",
                      "report_roles: a role listed twice"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_OPERATOR
                             regime: DATA_REGIME_AVG
                           }
                           report_threshold: 2)pb",
                      "report_threshold: at least 3"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_SUBMITTER
                             regime: DATA_REGIME_AVG
                             pinned_issuers: "ABC"
                           })pb",
                      "pinned_issuers: a SHA-256 fingerprint"},
        BadPolicyCase{
            R"pb(partners {
                   id: "a"
                   name: "a"
                   oin: "00000099000000000001"
                   roles: ROLE_AUDITOR
                   regime: DATA_REGIME_AVG
                 }
                 subject_requests { approver_roles: ROLE_CHAIN_DIRECTOR })pb",
            "subject_requests.approver_roles: only ROLE_AUDITOR"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           subject_requests {
                             approver_roles: [ ROLE_AUDITOR, ROLE_AUDITOR ]
                           })pb",
                      "subject_requests.approver_roles: a role listed twice"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           subject_requests { approver_user_roles: "" })pb",
                      "subject_requests.approver_user_roles: each 1-64"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           subject_requests { valid_for: "3 days" })pb",
                      "subject_requests.valid_for: a duration"},
        BadPolicyCase{R"pb(partners {
                             id: "a"
                             name: "a"
                             oin: "00000099000000000001"
                             roles: ROLE_AUDITOR
                             regime: DATA_REGIME_AVG
                           }
                           subject_requests { valid_for: "721h" })pb",
                      "subject_requests.valid_for: a duration"}));

// Four eyes: approvers are the organisations approver_roles names, and
// within them the functions approver_user_roles names; requests live
// valid_for (72 hours when unset).
TEST(AccessPolicyTest, SubjectRequestRulesNameWhoApproves) {
  constexpr char kPartners[] = R"pb(
    partners {
      id: "fg"
      name: "FG"
      oin: "00000099000000000006"
      roles: ROLE_AUDITOR
      regime: DATA_REGIME_AVG
    }
    partners {
      id: "beheer"
      name: "Beheer"
      oin: "00000099000000000007"
      roles: ROLE_OPERATOR
      regime: DATA_REGIME_AVG
    }
  )pb";
  absl::StatusOr<std::unique_ptr<AccessPolicy>> none =
      AccessPolicy::FromText(kPartners, "test");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)->CheckApproversNamed().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*none)->SubjectRequestValidFor(), absl::Hours(72));

  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy = AccessPolicy::FromText(
      absl::StrCat(kPartners, R"pb(subject_requests {
                                     approver_roles: ROLE_AUDITOR
                                     approver_user_roles: "FG"
                                     valid_for: "90m"
                                   })pb"),
      "test");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE((*policy)->CheckApproversNamed().ok());
  EXPECT_EQ((*policy)->SubjectRequestValidFor(), absl::Minutes(90));
  const v1::Partner& fg = *(*policy)->PartnerById("fg");
  absl::StatusOr<v1::Role> approver = (*policy)->ApproverRoleOf(fg, "FG");
  ASSERT_TRUE(approver.ok()) << approver.status();
  EXPECT_EQ(*approver, v1::ROLE_AUDITOR);
  EXPECT_THAT((*policy)->ApproverRoleOf(fg, "medewerker").status().message(),
              HasSubstr("approver_user_roles"));
  EXPECT_THAT((*policy)
                  ->ApproverRoleOf(*(*policy)->PartnerById("beheer"), "FG")
                  .status()
                  .message(),
              HasSubstr("approver_roles"));
  // Four eyes name their persons whatever person_rules say.
  EXPECT_TRUE(
      (*policy)->PersonRequired(fg, v1::ROLE_AUDITOR, "subject_approve"));
  EXPECT_FALSE((*policy)->PersonRequired(fg, v1::ROLE_AUDITOR, "audit_query"));
}

// Figures go to the roles report_roles names, with the threshold given (5
// when unset).
TEST(AccessPolicyTest, ReportRolesNameWhoGetsFigures) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromText(R"pb(
                               partners {
                                 id: "zvh"
                                 name: "ZVH"
                                 oin: "00000099000000000005"
                                 roles: ROLE_SUBMITTER
                                 roles: ROLE_CHAIN_DIRECTOR
                                 regime: DATA_REGIME_AVG
                               }
                               partners {
                                 id: "fg"
                                 name: "FG"
                                 oin: "00000099000000000006"
                                 roles: ROLE_AUDITOR
                                 regime: DATA_REGIME_AVG
                               }
                               report_roles: ROLE_CHAIN_DIRECTOR)pb",
                             "test");
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<v1::Role> zvh =
      (*policy)->ReportRoleOf(*(*policy)->PartnerById("zvh"));
  ASSERT_TRUE(zvh.ok()) << zvh.status();
  EXPECT_EQ(*zvh, v1::ROLE_CHAIN_DIRECTOR);
  absl::StatusOr<v1::Role> fg =
      (*policy)->ReportRoleOf(*(*policy)->PartnerById("fg"));
  EXPECT_EQ(fg.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(fg.status().message(), HasSubstr("report_roles"));
  EXPECT_EQ((*policy)->ReportThreshold(), 5u);
}

// person_rules: refused naming the rule and field when malformed; otherwise
// they cover exactly their role, operations and partners.
TEST(AccessPolicyTest, PersonRulesAreCheckedAndCoverWhatTheyName) {
  const std::string partners = R"pb(
    partners {
      id: "fg"
      name: "FG"
      oin: "00000099000000000001"
      roles: ROLE_AUDITOR
      regime: DATA_REGIME_AVG
    }
    partners {
      id: "beheer"
      name: "Beheer"
      oin: "00000099000000000002"
      roles: ROLE_OPERATOR
      roles: ROLE_AUDITOR
      regime: DATA_REGIME_AVG
    })pb";
  for (const auto& [rule, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"person_rules { operations: \"audit_query\" }",
            "person_rules[0].role: required"},
           {"person_rules { role: ROLE_AUDITOR operations: \"peek\" }",
            "person_rules[0].operations: unknown operation \"peek\""},
           {"person_rules { role: ROLE_AUDITOR partners: \"niemand\" }",
            "person_rules[0].partners: unknown partner \"niemand\""},
           {"person_rules { role: ROLE_OPERATOR partners: \"fg\" }",
            "person_rules[0].partners: \"fg\" lacks role ROLE_OPERATOR"},
       }) {
    absl::Status status =
        AccessPolicy::FromText(partners + rule, "test").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << rule;
    EXPECT_THAT(Message(status), HasSubstr(expected)) << rule;
  }
  auto policy = AccessPolicy::FromText(
      partners +
          "person_rules { role: ROLE_AUDITOR operations: \"audit_query\" "
          "partners: \"fg\" }",
      "test");
  ASSERT_TRUE(policy.ok()) << policy.status();
  const v1::Partner& fg = *(*policy)->PartnerById("fg");
  const v1::Partner& beheer = *(*policy)->PartnerById("beheer");
  EXPECT_TRUE((*policy)->PersonRequired(fg, v1::ROLE_AUDITOR, "audit_query"));
  EXPECT_FALSE(
      (*policy)->PersonRequired(fg, v1::ROLE_AUDITOR, "audit_checkpoint"));
  EXPECT_FALSE(
      (*policy)->PersonRequired(beheer, v1::ROLE_AUDITOR, "audit_query"));
  EXPECT_FALSE(
      (*policy)->PersonRequired(beheer, v1::ROLE_OPERATOR, "audit_query"));
}

TEST(AccessPolicyTest, VersionFollowsContent) {
  auto a = *AccessPolicy::FromText(kSmallPolicy, "a");
  auto b = *AccessPolicy::FromText(std::string(kSmallPolicy) + "\n", "b");
  auto c = *AccessPolicy::FromText(kSmallPolicy, "c");
  EXPECT_NE(a->version(), b->version());
  EXPECT_EQ(a->version(), c->version());
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

TEST(AccessPolicyTest, ExamplePolicyAssignsEveryOperationAnActivity) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::FromFile(kExamplePolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (absl::string_view operation : kOperations) {
    const v1::ProcessingActivity* activity = (*policy)->ActivityFor(operation);
    ASSERT_NE(activity, nullptr) << operation;
    EXPECT_FALSE(activity->legal_basis().empty());
  }
  EXPECT_EQ((*policy)->ActivityFor("submit")->id(), "zvh-signalen-ontvangen");
  EXPECT_EQ((*policy)->ActivityFor("no_such_operation"), nullptr);
}

TEST(AccessPolicyTest, ActivitiesNameKnownOperationsOnce) {
  const std::string unknown = absl::StrCat(kSmallPolicy, R"pb(
    processing_activities {
      id: "a"
      legal_basis: "AVG art. 6(1)(e)"
      operations: "submitt"
    })pb");
  EXPECT_THAT(Message(AccessPolicy::FromText(unknown, "t").status()),
              HasSubstr("unknown operation \"submitt\""));
  const std::string twice = absl::StrCat(kSmallPolicy,
                                         R"pb(
                                           processing_activities {
                                             id: "a"
                                             legal_basis: "x"
                                             operations: "submit"
                                           }
                                           processing_activities {
                                             id: "b"
                                             legal_basis: "y"
                                             operations: "submit"
                                           })pb");
  EXPECT_THAT(Message(AccessPolicy::FromText(twice, "t").status()),
              HasSubstr("already belongs to another activity"));
  const std::string no_basis = absl::StrCat(kSmallPolicy, R"pb(
    processing_activities { id: "a" operations: "submit" })pb");
  EXPECT_THAT(Message(AccessPolicy::FromText(no_basis, "t").status()),
              HasSubstr("legal_basis: required"));
}

}  // namespace
}  // namespace ketenhub
