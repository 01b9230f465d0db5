#ifndef KETENHUB_SERVER_POLICY_IDENTIFIER_RULES_H_
#define KETENHUB_SERVER_POLICY_IDENTIFIER_RULES_H_

// The policy's rules on which partner may identify a person by which weak
// identifier (Partner.identifiers).

#include "absl/status/status.h"
#include "ketenhub/v1/policy.pb.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

// INVALID_ARGUMENT "identifiers...: PROBLEM" when `partner`'s rules name a
// kind that is not weak, name one twice, or belong to a partner that does
// not submit.
absl::Status CheckIdentifierRules(const v1::Partner& partner);

// OK when `partner` may use each weak identifier of `subject` and, when the
// subject has no BSN or name, when one of them may stand alone;
// PERMISSION_DENIED naming the kind and the rule if not.
absl::Status CheckMayIdentify(const v1::Partner& partner,
                              const v1::Subject& subject);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_IDENTIFIER_RULES_H_
