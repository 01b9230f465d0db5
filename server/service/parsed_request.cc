#include "server/service/parsed_request.h"

#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/impl/codegen/proto_buffer_reader.h"
#include "server/common/json_log.h"
#include "server/service/audited_call.h"

namespace ketenhub {
namespace {

// While a thread parses a request, what the protobuf library logged.
thread_local std::string* parse_log = nullptr;

void OnProtobufLog(google::protobuf::LogLevel level, const char* /*file*/,
                   int /*line*/, const std::string& message) {
  if (parse_log != nullptr) {
    *parse_log = message;
    return;
  }
  const LogLevel ours =
      level >= google::protobuf::LOGLEVEL_ERROR     ? LogLevel::kError
      : level == google::protobuf::LOGLEVEL_WARNING ? LogLevel::kWarning
                                                    : LogLevel::kInfo;
  LogEvent(ours, "protobuf_library", {{"message", message}});
}

// "ketenhub.v1.Signal.summary" of the library's "String field
// 'ketenhub.v1.Signal.summary' contains invalid UTF-8 data ...", without the
// package; empty when `log` says something else.
std::string FieldNotUtf8(absl::string_view log) {
  constexpr absl::string_view kPrefix = "String field '";
  const size_t start = log.find(kPrefix);
  if (start == absl::string_view::npos || !absl::StrContains(log, "UTF-8"))
    return "";
  const size_t from = start + kPrefix.size();
  const size_t end = log.find('\'', from);
  if (end == absl::string_view::npos) return "";
  absl::string_view field = log.substr(from, end - from);
  absl::ConsumePrefix(&field, "ketenhub.v1.");
  return std::string(field);
}

}  // namespace

absl::Status ParseRequest(grpc::ByteBuffer& buffer,
                          google::protobuf::MessageLite& message) {
  std::string logged;
  bool parsed = false;
  {
    grpc::ProtoBufferReader reader(&buffer);
    if (reader.status().ok()) {
      parse_log = &logged;
      parsed = message.ParseFromZeroCopyStream(&reader);
      parse_log = nullptr;
    }
  }
  buffer.Clear();
  if (parsed) return absl::OkStatus();
  message.Clear();
  const std::string field = FieldNotUtf8(logged);
  if (!field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not valid UTF-8 (text fields must be UTF-8)"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("request: not a valid ", message.GetTypeName(), " message"));
}

void RouteProtobufLogToJsonLog() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&OnProtobufLog); });
}

int MethodIndex(absl::string_view service, absl::string_view method) {
  const google::protobuf::MethodDescriptor* found =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(service, ".", method));
  return found == nullptr ? -1 : found->index();
}

void RecordUnparsable(grpc::CallbackServerContext* context,
                      const UnparsableRefusal& refusal,
                      const absl::Status& status, StatusCallback finish) {
  AuditedCall call =
      BeginCall(context, *refusal.env.policy, *refusal.env.certificates,
                refusal.operation, refusal.roles);
  RecordOutcome(*refusal.env.store, std::move(call.record),
                call.allowed.ok() ? status : call.allowed, std::move(finish));
}

}  // namespace ketenhub
