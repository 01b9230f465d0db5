#ifndef KETENHUB_SERVER_SERVICE_REPORT_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_REPORT_SERVICE_H_

#include "ketenhub/v1/report.grpc.pb.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/service/unary_call.h"
#include "server/service/work_queue.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// ReportService: figures for the council, for the roles the policy's
// report_roles name. Counts from the signals' clear metadata, small counts
// suppressed at the policy's report_threshold; nothing is decrypted and no
// one is named. Each call is audited as "report", without a data subject.
// Thread-safe; collaborators must outlive it.
class ReportServiceImpl final : public v1::ReportService::CallbackService {
 public:
  ReportServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                    CertificateIdentityCache* certificates);

 private:
  grpc::ServerUnaryReactor* HandleFigures(UnaryCall& call,
                                          const v1::FiguresRequest& request,
                                          v1::FiguresResponse* response);

  SignalStore* const store_;
  WorkQueue reports_{"keten-report"};  // last: its work uses the members
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_REPORT_SERVICE_H_
