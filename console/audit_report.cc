#include "console/audit_report.h"

namespace ketenhub::console {

AuditView BuildAuditView(AuditClient& auditor, const std::string& hub_key_pem,
                         std::optional<v1::AuditQueryRequest> question,
                         std::string asked) {
  AuditView view;
  absl::StatusOr<v1::SignedCheckpoint> checkpoint =
      auditor.VerifyLog(hub_key_pem, std::nullopt);
  if (checkpoint.ok()) {
    view.checkpoint = *std::move(checkpoint);
  } else {
    view.verified = absl::IsDataLoss(checkpoint.status())
                        ? std::string(checkpoint.status().message())
                        : "de hub kon niet worden gevraagd (" +
                              std::string(absl::StatusCodeToString(
                                  checkpoint.status().code())) +
                              ")";
  }
  if (!question.has_value()) return view;
  view.asked = std::move(asked);
  absl::Status asked_ok = auditor.Query(
      *std::move(question), [&view](const v1::AuditRecord& record) {
        if (view.records.size() >= kMaxReportRecords) {
          view.truncated = true;
          return false;
        }
        view.records.push_back(record);
        return true;
      });
  if (!asked_ok.ok()) {
    view.asked.clear();
    view.records.clear();
    view.error =
        absl::IsInvalidArgument(asked_ok)
            ? "De hub weigerde de vraag: controleer het BSN (negen cijfers, "
              "elfproef) of het medewerkernummer."
        : absl::IsDataLoss(asked_ok)
            ? "Het logboek klopt NIET: " + std::string(asked_ok.message())
            : "De hub kon de vraag nu niet beantwoorden; probeer het zo "
              "opnieuw.";
  }
  return view;
}

}  // namespace ketenhub::console
