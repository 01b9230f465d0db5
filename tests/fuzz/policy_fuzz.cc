// Fuzzes the access policy loader: any text must be refused with a message or
// give a policy whose lookups agree with what it lists.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "ketenhub/v1/policy.pb.h"
#include "server/policy/access_policy.h"
#include "server/policy/operations.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using ketenhub::fuzz::Violated;

void CheckLookups(const ketenhub::AccessPolicy& policy) {
  for (const ketenhub::v1::Partner& partner : policy.policy().partners()) {
    auto by_oin = policy.PartnerForOin(partner.oin());
    if (!by_oin.ok() || (*by_oin)->id() != partner.id())
      Violated("a listed partner is not found by its OIN");
    if (policy.PartnerById(partner.id()) == nullptr)
      Violated("a listed partner is not found by its id");
    (void)policy.SubmitRate(partner);
    for (int c = 0; c < ketenhub::v1::Category_ARRAYSIZE; ++c) {
      const auto category = static_cast<ketenhub::v1::Category>(c);
      for (const ketenhub::v1::Route* route :
           policy.RoutesFor(partner.id(), category)) {
        if (route->source() != partner.id())
          Violated("RoutesFor returned another source's route");
        if (policy.PartnerById(route->receiver()) == nullptr)
          Violated("a route leads to an unknown receiver");
      }
      (void)policy.MatchWindowDays(category);
      (void)policy.RetentionDays(category);
    }
  }
  for (absl::string_view operation : ketenhub::kOperations)
    (void)policy.ActivityFor(operation);
  (void)policy.MaxStreamsPerPartner();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ketenhub::fuzz::QuietProtobufLogs();
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = ketenhub::AccessPolicy::FromText(text, "fuzz.textproto");
  if (!policy.ok()) {
    if (policy.status().message().empty())
      Violated("a refusal without a message");
    return 0;
  }
  CheckLookups(**policy);
  return 0;
}
