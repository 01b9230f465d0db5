#include "tools/ketenctl/ketenctl_request.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "ketenhub/v1/subject_request.grpc.pb.h"

namespace ketenhub {
namespace {

// One call to SubjectRequestService, retried when the hub is unreachable.
template <typename Request, typename Response, typename Method>
absl::Status Call(const GlobalFlags& flags, Method method,
                  const Request& request, Response& response) {
  absl::StatusOr<ClientOptions> options = OptionsFrom(flags);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(*options);
  if (!channel.ok()) return channel.status();
  std::unique_ptr<v1::SubjectRequestService::Stub> stub =
      v1::SubjectRequestService::NewStub(*channel);
  return CallWithRetries(*options, [&](grpc::ClientContext* context) {
    return ((*stub).*method)(context, request, &response);
  });
}

std::string PersonText(const v1::RequestPerson& person) {
  std::string text = absl::StrCat(person.user_id(), " (", person.partner_id());
  if (!person.user_role().empty())
    absl::StrAppend(&text, ", ", person.user_role());
  return absl::StrCat(text, ")");
}

}  // namespace

std::string RequestLine(const v1::SubjectRequest& request) {
  std::string line = absl::StrCat(
      request.request_id(), "  ",
      Readable(v1::SubjectRequestKind_Name(request.kind()), "SUBJECT_REQUEST_"),
      "  ",
      Readable(v1::SubjectRequestState_Name(request.state()),
               "SUBJECT_REQUEST_"),
      "\n  asked by ", PersonText(request.requested_by()), " at ",
      FormatTimestamp(request.requested_at()), ": ", request.reason(),
      "\n  open until ", FormatTimestamp(request.expires_at()),
      "\n  person (pseudonym) ", request.subject_pseudonym().substr(0, 16));
  if (request.has_decided_by()) {
    absl::StrAppend(&line, "\n  ",
                    request.state() == v1::SUBJECT_REQUEST_REFUSED
                        ? "refused by "
                        : "approved by ",
                    PersonText(request.decided_by()), " at ",
                    FormatTimestamp(request.decided_at()));
    if (!request.refusal_reason().empty())
      absl::StrAppend(&line, ": ", request.refusal_reason());
  }
  if (request.has_done_at())
    absl::StrAppend(&line, "\n  ran at ", FormatTimestamp(request.done_at()));
  return line;
}

void RequestCommands::Register(CLI::App& app) {
  CLI::App* request = app.add_subcommand(
      "request",
      "four eyes on a person's whole file: ask, approve, refuse, list");
  request->require_subcommand(1);
  export_ = request->add_subcommand(
      "export", "ask to export one person's file (operators)");
  erase_ = request->add_subcommand(
      "erase", "ask to erase one person's file (operators)");
  for (CLI::App* ask : {export_, erase_}) {
    subject_.Register(ask);
    ask->add_option("--reason", reason_,
                    "why: the AVG request's reference (no personal data)")
        ->required();
  }
  list_ = request->add_subcommand(
      "list", "the pending requests (operators and approvers)");
  list_->add_flag("--all", all_,
                  "also approved, refused, done and expired ones");
  approve_ = request->add_subcommand(
      "approve", "approve another person's request (approvers)");
  refuse_ = request->add_subcommand(
      "refuse", "refuse another person's request (approvers)");
  for (CLI::App* decide : {approve_, refuse_}) {
    decide->add_option("request_id", request_id_, "the request's id")
        ->required();
  }
  refuse_->add_option("--reason", reason_, "why it is refused")->required();
}

std::optional<int> RequestCommands::Run(const GlobalFlags& flags) {
  if (export_ != nullptr && *export_)
    return Ask(flags, v1::SUBJECT_REQUEST_EXPORT);
  if (erase_ != nullptr && *erase_)
    return Ask(flags, v1::SUBJECT_REQUEST_ERASE);
  if (list_ != nullptr && *list_) return List(flags);
  if (approve_ != nullptr && *approve_) return Decide(flags, true);
  if (refuse_ != nullptr && *refuse_) return Decide(flags, false);
  return std::nullopt;
}

int RequestCommands::Ask(const GlobalFlags& flags,
                         v1::SubjectRequestKind kind) {
  absl::StatusOr<std::optional<v1::Subject>> subject = subject_.Subject();
  if (!subject.ok()) return Report(subject.status(), flags);
  if (!subject->has_value()) {
    return Report(absl::InvalidArgumentError(
                      "give --bsn, --name with --birth-date, or one of "
                      "--phone, --email, --alias, --address, --advert"),
                  flags);
  }
  v1::AskSubjectRequest request;
  request.set_kind(kind);
  *request.mutable_subject() = **subject;
  request.set_reason(reason_);
  v1::SubjectRequest response;
  absl::Status status =
      Call(flags, &v1::SubjectRequestService::Stub::Ask, request, response);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << RequestLine(response) << "\n"
              << "A second person approves it (ketenctl request approve "
              << response.request_id() << "); then run it once with --request "
              << response.request_id() << ".\n";
  }
  return EXIT_SUCCESS;
}

int RequestCommands::List(const GlobalFlags& flags) {
  v1::ListSubjectRequestsRequest request;
  request.set_all(all_);
  v1::ListSubjectRequestsResponse response;
  absl::Status status =
      Call(flags, &v1::SubjectRequestService::Stub::List, request, response);
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
    return EXIT_SUCCESS;
  }
  for (const v1::SubjectRequest& shown : response.requests())
    std::cout << RequestLine(shown) << "\n";
  std::cout << response.requests_size()
            << (all_ ? " request(s).\n" : " pending request(s).\n");
  return EXIT_SUCCESS;
}

int RequestCommands::Decide(const GlobalFlags& flags, bool approve) {
  v1::SubjectRequest response;
  absl::Status status;
  if (approve) {
    v1::ApproveSubjectRequest request;
    request.set_request_id(request_id_);
    status = Call(flags, &v1::SubjectRequestService::Stub::Approve, request,
                  response);
  } else {
    v1::RefuseSubjectRequest request;
    request.set_request_id(request_id_);
    request.set_reason(reason_);
    status = Call(flags, &v1::SubjectRequestService::Stub::Refuse, request,
                  response);
  }
  if (!status.ok()) return Report(status, flags);
  if (flags.json) {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << RequestLine(response) << "\n";
  }
  return EXIT_SUCCESS;
}

}  // namespace ketenhub
