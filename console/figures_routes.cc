// The figures for the council in the browser: the same counts as
// `ketenctl report`, as bar charts (SVG) and a table, and as CSV.
#include "console/server.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace ketenhub::console {

v1::ReportService::Stub* Server::Reporter(const v1::ConsolePerson& person) {
  if (person.role() != v1::ROLE_CHAIN_DIRECTOR &&
      person.role() != v1::ROLE_CARE_COORDINATOR) {
    return nullptr;
  }
  absl::MutexLock lock(&clients_mu_);
  std::unique_ptr<v1::ReportService::Stub>& stub =
      reporters_[person.employee_id()];
  if (stub == nullptr) {
    ClientOptions options = OrganisationOptions(config_, person.role());
    options.user_id = person.employee_id();
    options.user_role = person.function();
    options.user_name = person.name();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeHubChannel(options);
    if (!channel.ok()) return nullptr;
    stub = v1::ReportService::NewStub(*channel);
  }
  return stub.get();
}

void Server::FiguresRoutes() {
  // Both answers ask the hub the same question; the form's words go in the
  // address (dates and choices, never personal data).
  auto ask = [this](const httplib::Request& request,
                    httplib::Response& response,
                    const v1::ConsolePerson& person) -> FiguresView {
    FiguresView view;
    view.form = {request.get_param_value("van"), request.get_param_value("tot"),
                 request.get_param_value("periode"),
                 request.get_param_value("per")};
    v1::FiguresRequest question;
    if (absl::Status form = ParseFiguresForm(view.form, question); !form.ok()) {
      response.status = 400;
      view.error = absl::StrCat("Het veld \"", form.message(),
                                "\" kent deze waarde niet; kies uit de lijst.");
      return view;
    }
    v1::ReportService::Stub* stub = Reporter(person);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::minutes(2));
    v1::FiguresResponse figures;
    const grpc::Status status =
        stub == nullptr ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "hub")
                        : stub->Figures(&context, question, &figures);
    if (status.ok()) {
      view.figures = std::move(figures);
    } else if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      response.status = 400;
      view.error =
          absl::StrContains(status.error_message(), "to_date")
              ? "De einddatum ligt voor de begindatum, of meer dan tien jaar "
                "erna."
              : "Vul beide datums in als dag-maand-jaar.";
    } else if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      response.status = 403;
      view.error = "De toegangsregels geven uw organisatie geen cijfers.";
    } else {
      response.status = 503;
      view.error =
          "De cijfers konden niet worden opgehaald. Probeer het zo "
          "opnieuw.";
    }
    return view;
  };
  http_.Get("/cijfers", [this, ask](const httplib::Request& request,
                                    httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    const FiguresView view = ask(request, response, visitor->person);
    response.set_content(
        pages_.Figures(visitor->person, visitor->session, view),
        "text/html; charset=utf-8");
  });
  http_.Get("/cijfers.csv", [this, ask](const httplib::Request& request,
                                        httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    const FiguresView view = ask(request, response, visitor->person);
    if (!view.figures.has_value()) {
      Refuse(response, response.status, "Geen cijfers", view.error);
      return;
    }
    response.set_header(
        "Content-Disposition",
        absl::StrCat("attachment; filename=\"ketenhub-cijfers-", view.form.from,
                     "-", view.form.to, ".csv\""));
    response.set_content(FiguresCsv(*view.figures), "text/csv; charset=utf-8");
  });
}

}  // namespace ketenhub::console
