#ifndef KETENHUB_SERVER_POLICY_ROUTE_RULES_H_
#define KETENHUB_SERVER_POLICY_ROUTE_RULES_H_

#include "absl/status/status.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// Checks the policy's routes: a submitting source, a receiving receiver
// (ROLE_CHAIN_DIRECTOR or ROLE_CARE_COORDINATOR), known categories, each
// (source, category, receiver) once, each section kind's rule once.
// INVALID_ARGUMENT naming the route and the field.
absl::Status ValidateRoutes(const v1::Policy& policy);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_ROUTE_RULES_H_
