#include "server/service/report_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/report/figures.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

// Every role may ask; the policy's report_roles decide who is answered.
CallRoles AnyRole() {
  return CallRoles::AnyOf({v1::ROLE_CHAIN_DIRECTOR, v1::ROLE_CARE_COORDINATOR,
                           v1::ROLE_OPERATOR, v1::ROLE_AUDITOR,
                           v1::ROLE_SUBMITTER, v1::ROLE_WITNESS});
}

}  // namespace

ReportServiceImpl::ReportServiceImpl(const CurrentPolicy* policy,
                                     SignalStore* store,
                                     CertificateIdentityCache* certificates)
    : store_(store) {
  const std::string service = v1::ReportService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  MarkMethodCallback(MethodIndex(service, "Figures"),
                     UnaryHandler(this, &ReportServiceImpl::HandleFigures, env,
                                  "report", AnyRole()));
}

grpc::ServerUnaryReactor* ReportServiceImpl::HandleFigures(
    UnaryCall& call, const v1::FiguresRequest& request,
    v1::FiguresResponse* response) {
  const AccessPolicy& policy = *call.policy();
  absl::StatusOr<v1::Role> role = policy.ReportRoleOf(*call.caller().partner);
  if (!role.ok()) return call.Finish(role.status());
  call.record().set_actor_role(v1::Role_Name(*role));
  if (absl::Status valid = report::CheckFiguresRequest(request); !valid.ok())
    return call.Finish(valid);
  auto& details = *call.record().mutable_details();
  details["from_date"] = request.from_date();
  details["to_date"] = request.to_date();
  details["period"] = v1::Period_Name(request.period());
  std::vector<std::string> by;
  for (int dimension : request.by())
    by.push_back(v1::Dimension_Name(static_cast<v1::Dimension>(dimension)));
  details["by"] = absl::StrJoin(by, ",");
  const uint32_t threshold = policy.ReportThreshold();
  // The scan reads every signal record: off gRPC's threads.
  reports_.Run([this, request, response, threshold, reactor = call.reactor(),
                record = call.record()]() mutable {
    report::FiguresBuilder builder(request);
    absl::Status scanned = store_->ScanSignalRecords(
        [&](const v1::storage::StoredSignal& signal) { builder.Add(signal); });
    if (scanned.ok()) {
      *response = builder.Finish(threshold);
      (*record.mutable_details())["rows"] = absl::StrCat(response->rows_size());
    }
    FinishAudited(reactor, *store_, std::move(record), scanned);
  });
  return call.reactor();
}

}  // namespace ketenhub
