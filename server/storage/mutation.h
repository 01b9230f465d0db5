#ifndef KETENHUB_SERVER_STORAGE_MUTATION_H_
#define KETENHUB_SERVER_STORAGE_MUTATION_H_

#include "absl/status/status.h"
#include "server/storage/commit_context.h"

namespace ketenhub {

// Internal to the storage layer: one state change that the commit pipeline
// applies. Both methods run on the pipeline thread and must not block.
class Mutation {
 public:
  virtual ~Mutation() = default;

  // Decides against current state (through `context`) and adds its writes to
  // the group. Records its own result for Complete.
  virtual void Apply(CommitContext& context) = 0;

  // Called once the group's batch is on disk (`written` OK) or failed. A
  // mutation that wrote nothing may ignore `written`.
  virtual void Complete(const absl::Status& written) = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_MUTATION_H_
