#ifndef KETENHUB_CONSOLE_CONSOLE_SERVER_H_
#define KETENHUB_CONSOLE_CONSOLE_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ketenhub/v1/console.pb.h"

namespace ketenhub::console {

// ketenconsole's HTTPS server: people sign in with their personal
// certificate, and act on the hub (its public gRPC API, with the
// organisation's certificate) as themselves (keten-user). Holds nothing
// but sessions, in memory.
class ConsoleServer {
 public:
  // Checks `config`, reads its certificates and binds the address.
  // INVALID_ARGUMENT / FAILED_PRECONDITION naming the field or file.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(
      const v1::ConsoleConfig& config);
  virtual ~ConsoleServer() = default;

  virtual int port() const = 0;
  // Serves until Stop; returns then.
  virtual void Serve() = 0;
  virtual void Stop() = 0;
};

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_CONSOLE_SERVER_H_
