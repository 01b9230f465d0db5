#ifndef KETENHUB_SERVER_SERVICE_GRPC_STATUS_H_
#define KETENHUB_SERVER_SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ketenhub {

// The one conversion of the hub's outcomes into gRPC status. Codes a caller
// can act on keep their message (which names a field or rule and holds no
// personal data); INTERNAL, UNKNOWN and DATA_LOSS become a bare
// "internal error" so that no internal detail leaves the hub.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_GRPC_STATUS_H_
