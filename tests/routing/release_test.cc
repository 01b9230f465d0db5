#include "server/routing/release.h"

#include "gtest/gtest.h"
#include "server/policy/access_policy.h"
#include "server/storage/time_conversion.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using v1::storage::StoredSignal;

std::unique_ptr<AccessPolicy> ExamplePolicy() {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy = AccessPolicy::FromFile(
      KETENHUB_SOURCE_DIR "/deploy/policy-example.textproto");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : nullptr;
}

// A GGD signal delivered to the chain director, with a general, a health
// and a police section.
StoredSignal GgdSignal() {
  StoredSignal stored;
  stored.set_signal_id("sig-1");
  stored.set_source_partner("ggd");
  stored.add_receivers("ketenregisseur");
  *stored.mutable_signal() = testing::ValidSignal("ggd-1");
  stored.mutable_signal()->mutable_sections(0)->set_kind(v1::DATA_KIND_POLICE);
  for (const v1::DataKind kind :
       {v1::DATA_KIND_GENERAL, v1::DATA_KIND_HEALTH}) {
    v1::Section* section = stored.mutable_signal()->add_sections();
    section->set_kind(kind);
    section->set_text("tekst");
  }
  return stored;
}

const v1::ReleasedSection& Kind(const v1::ReleasedSignal& released,
                                v1::DataKind kind) {
  for (const v1::ReleasedSection& s : released.sections())
    if (s.kind() == kind) return s;
  ADD_FAILURE() << "no section " << kind;
  return released.sections(0);
}

TEST(ReleaseForTest, EachKindAsTheRouteSays) {
  auto policy = ExamplePolicy();
  ASSERT_NE(policy, nullptr);
  absl::StatusOr<v1::ReleasedSignal> released =
      ReleaseFor(GgdSignal(), *policy, "ketenregisseur");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_GENERAL).disclosure(),
            v1::DISCLOSURE_RELEASED);
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_GENERAL).text(), "tekst");
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_HEALTH).disclosure(),
            v1::DISCLOSURE_WITHHELD_RELEASABLE);
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_HEALTH).text(), "");
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_POLICE).disclosure(),
            v1::DISCLOSURE_WITHHELD_NEVER);
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_POLICE).text(), "");
}

TEST(ReleaseForTest, ATwoStageKindIsReleasedOnceRecorded) {
  auto policy = ExamplePolicy();
  ASSERT_NE(policy, nullptr);
  StoredSignal stored = GgdSignal();
  stored.add_released_kinds(v1::DATA_KIND_HEALTH);
  absl::StatusOr<v1::ReleasedSignal> released =
      ReleaseFor(stored, *policy, "ketenregisseur");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_HEALTH).disclosure(),
            v1::DISCLOSURE_RELEASED);
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_HEALTH).text(), "tekst");
}

TEST(ReleaseForTest, EachReleasedSectionSaysWhoReleasedItAndOnWhatBasis) {
  auto policy = ExamplePolicy();
  ASSERT_NE(policy, nullptr);
  StoredSignal stored = GgdSignal();
  SetTimestamp(absl::FromUnixSeconds(1'780'000'000),
               stored.mutable_received_at());
  stored.add_released_kinds(v1::DATA_KIND_HEALTH);
  v1::SectionRelease* note = stored.add_releases();
  note->set_kind(v1::DATA_KIND_HEALTH);
  note->set_released_by("regisseur-1");
  note->set_released_by_role("ketenregisseur");
  note->set_legal_basis("Wvggz art. 5:8");
  note->set_on_behalf_of("ggd");
  absl::StatusOr<v1::ReleasedSignal> released =
      ReleaseFor(stored, *policy, "ketenregisseur");
  ASSERT_TRUE(released.ok()) << released.status();
  const v1::SectionRelease& health =
      Kind(*released, v1::DATA_KIND_HEALTH).release();
  EXPECT_EQ(health.released_by(), "regisseur-1");
  EXPECT_EQ(health.legal_basis(), "Wvggz art. 5:8");
  EXPECT_EQ(health.on_behalf_of(), "ggd");
  // Released directly: by the access rules, at arrival, on the deliver
  // activity's basis.
  const v1::SectionRelease& general =
      Kind(*released, v1::DATA_KIND_GENERAL).release();
  EXPECT_EQ(general.released_by(), "");
  EXPECT_EQ(general.released_at().seconds(), 1'780'000'000);
  ASSERT_NE(policy->ActivityFor("deliver"), nullptr);
  EXPECT_EQ(general.legal_basis(),
            policy->ActivityFor("deliver")->legal_basis());
  EXPECT_FALSE(general.legal_basis().empty());
  // Withheld: nothing about a release.
  EXPECT_FALSE(Kind(*released, v1::DATA_KIND_POLICE).has_release());
}

TEST(ReleaseForTest, PoliceDataFromThePoliceCarriesNoOnwardSharing) {
  auto policy = ExamplePolicy();
  ASSERT_NE(policy, nullptr);
  StoredSignal stored = GgdSignal();
  stored.set_source_partner("politie");
  absl::StatusOr<v1::ReleasedSignal> released =
      ReleaseFor(stored, *policy, "ketenregisseur");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(Kind(*released, v1::DATA_KIND_POLICE).disclosure(),
            v1::DISCLOSURE_RELEASED);
  EXPECT_TRUE(Kind(*released, v1::DATA_KIND_POLICE).no_onward_sharing());
}

TEST(ReleaseForTest, WhoReceivesNothingLearnsNothingWhateverTheState) {
  auto policy = ExamplePolicy();
  ASSERT_NE(policy, nullptr);
  StoredSignal stored = GgdSignal();
  EXPECT_EQ(ReleaseFor(stored, *policy, "politie").status().code(),
            absl::StatusCode::kNotFound);
  stored.set_state(v1::SIGNAL_STATE_DESTROYED);
  EXPECT_EQ(ReleaseFor(stored, *policy, "politie").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReleaseFor(stored, *policy, "ketenregisseur").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A category no route carries any more: disclosure stops.
  stored = GgdSignal();
  stored.mutable_signal()->set_category(v1::CATEGORY_DOMESTIC_VIOLENCE);
  EXPECT_EQ(ReleaseFor(stored, *policy, "ketenregisseur").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(StatusForSourceTest, ArchivedAndDestroyAfterFollowTheStoredLifetime) {
  StoredSignal stored = GgdSignal();
  const absl::Time received = absl::FromUnixSeconds(1'780'000'000);
  SetTimestamp(received, stored.mutable_received_at());
  stored.set_match_window_days(730);
  stored.set_retention_days(1825);
  v1::SignalStatus fresh = StatusForSource(stored, received + absl::Hours(1));
  EXPECT_FALSE(fresh.archived());
  EXPECT_EQ(FromTimestamp(fresh.destroy_after()),
            received + absl::Hours(24 * 1825));
  EXPECT_TRUE(
      StatusForSource(stored, received + absl::Hours(24 * 731)).archived());
}

}  // namespace
}  // namespace ketenhub
