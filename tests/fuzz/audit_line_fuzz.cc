// Fuzzes how ketenctl prints an audit record (`audit query`): any record the
// hub could send, with every operation name the hub writes (and others),
// any role, outcome, legal basis, signal ids and time. It may not crash, and
// what it prints is exactly one line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ketenhub/v1/audit.pb.h"
#include "server/policy/operations.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/ketenctl/audit_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ketenhub::fuzz::QuietProtobufLogs();
  ketenhub::fuzz::FuzzInput in(data, size);
  ketenhub::v1::AuditRecord record;
  if (in.Flag()) (void)record.ParseFromString(in.Bytes(2048));
  const auto& operations = ketenhub::kOperations;
  record.set_operation(
      in.Flag() ? std::string(operations[in.Below(operations.size())])
                : in.Bytes(64));
  if (in.Flag()) record.set_actor_role(in.Bytes(40));
  if (in.Flag()) record.set_actor_partner_id(in.Bytes(40));
  if (in.Flag()) record.set_actor_oin(in.Bytes(24));
  if (in.Flag()) record.set_status_code(in.Bytes(32));
  if (in.Flag()) record.set_status_rule(in.Bytes(64));
  if (in.Flag()) record.set_legal_basis(in.Bytes(128));
  for (uint64_t n = in.Below(4); n > 0; --n)
    record.add_signal_ids(in.Bytes(40));
  if (in.Flag()) {
    record.mutable_end_time()->set_seconds(static_cast<int64_t>(in.Number(8)));
    record.mutable_end_time()->set_nanos(static_cast<int32_t>(in.Number(4)));
  }
  const std::string line = ketenhub::AuditRecordLine(record);
  if (line.empty() || line.find('\n') != line.size() - 1)
    ketenhub::fuzz::Violated("an audit record printed as other than one line");
  return 0;
}
