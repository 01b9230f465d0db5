#include "tests/testing/test_signals.h"

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ketenhub::testing {

const std::vector<std::string>& TestBsns() {
  static const auto* bsns = new std::vector<std::string>{
      "999990007", "999990019", "999990020", "999990032",
      "999990044", "999990056", "999990068", "999990081"};
  return *bsns;
}

v1::Signal ValidSignal(const std::string& client_ref, v1::Category category,
                       const std::string& bsn) {
  v1::Signal signal;
  signal.set_client_ref(client_ref);
  signal.set_category(category);
  signal.set_urgency(v1::URGENCY_ELEVATED);
  signal.mutable_subject()->set_bsn(bsn);
  signal.set_municipality("GM0402");
  // Fixed, so that equal arguments always give equal content (idempotency).
  signal.mutable_observed_at()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilSecond(2026, 6, 1, 12, 0, 0), absl::UTCTimeZone())));
  signal.set_summary(kTestNarrative);
  v1::Section* section = signal.add_sections();
  section->set_kind(v1::DATA_KIND_POLICE);
  section->set_title("Bevindingen");
  section->set_text(kTestSectionText);
  signal.set_legal_basis("Convenant Zorg- en Veiligheidshuis");
  signal.mutable_contact()->set_name(kTestContactName);
  signal.mutable_contact()->set_phone("+31 88 000 0001");
  return signal;
}

}  // namespace ketenhub::testing
