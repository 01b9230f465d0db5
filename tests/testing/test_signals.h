#ifndef KETENHUB_TESTS_TESTING_TEST_SIGNALS_H_
#define KETENHUB_TESTS_TESTING_TEST_SIGNALS_H_

#include <string>
#include <vector>

#include "ketenhub/v1/signal.pb.h"

namespace ketenhub::testing {

// Valid test BSNs (the 99999xxxx test range; each passes the 11-proef).
const std::vector<std::string>& TestBsns();

// Narrative and names the test signals carry, for leak checks.
inline constexpr char kTestNarrative[] = "Zichtbaar verhaal over de Larenseweg";
inline constexpr char kTestSectionText[] =
    "Gevonden in de kelder van nummer twaalf";
inline constexpr char kTestPersonName[] = "Johanna Testpersoon";
inline constexpr char kTestContactName[] = "Brigadier Klaas Testcontact";

// A signal that passes validation: category `category`, subject `bsn`.
v1::Signal ValidSignal(const std::string& client_ref,
                       v1::Category category = v1::CATEGORY_SEXUAL_EXPLOITATION,
                       const std::string& bsn = "999990019");

}  // namespace ketenhub::testing

#endif  // KETENHUB_TESTS_TESTING_TEST_SIGNALS_H_
