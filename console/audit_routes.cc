#include "console/server.h"

namespace ketenhub::console {

// The auditor's screens: the trail's state, the access report for one
// person (the BSN only ever in a POST body) and the overview per
// employee.
void Server::AuditRoutes() {
  auto answer = [this](const httplib::Request& request,
                       httplib::Response& response, bool is_post,
                       const std::function<std::optional<v1::AuditQueryRequest>(
                           std::string & asked)>& question) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor) return;
    if (visitor->person.role() != v1::ROLE_AUDITOR) {
      Refuse(response, 403, "Geen toegang", "Dit scherm is voor de auditor.");
      return;
    }
    if (is_post && !CsrfOk(request, visitor->session)) {
      Refuse(response, 403, "Formulier verlopen",
             "Open de verantwoording opnieuw en probeer het nog eens.");
      return;
    }
    AuditClient* auditor = Auditor(visitor->person);
    if (auditor == nullptr) {
      Refuse(response, 503, "Niet ingesteld",
             "De console heeft geen certificaat voor de auditor of geen "
             "publieke sleutel van de hub; vraag de beheerder.");
      return;
    }
    std::string asked;
    std::optional<v1::AuditQueryRequest> query = question(asked);
    response.set_content(
        pages_.Audit(visitor->person, visitor->session,
                     BuildAuditView(*auditor, hub_audit_key_, std::move(query),
                                    std::move(asked))),
        "text/html; charset=utf-8");
  };
  http_.Get("/audit", [answer](const httplib::Request& request,
                               httplib::Response& response) {
    answer(request, response, false, [](std::string&) { return std::nullopt; });
  });
  http_.Post("/audit/betrokkene", [answer](const httplib::Request& request,
                                           httplib::Response& response) {
    answer(request, response, true, [&request](std::string& asked) {
      v1::AuditQueryRequest query;
      query.mutable_subject()->set_bsn(request.get_param_value("bsn"));
      asked = "de betrokkene met BSN " + request.get_param_value("bsn");
      return std::optional<v1::AuditQueryRequest>(query);
    });
  });
  http_.Post("/audit/medewerker", [answer](const httplib::Request& request,
                                           httplib::Response& response) {
    answer(request, response, true, [&request](std::string& asked) {
      v1::AuditQueryRequest query;
      query.set_user(request.get_param_value("medewerker"));
      asked = "medewerker " + request.get_param_value("medewerker");
      return std::optional<v1::AuditQueryRequest>(query);
    });
  });
}

AuditClient* Server::Auditor(const v1::ConsolePerson& person) {
  if (config_.audit_cert_file().empty() || hub_audit_key_.empty())
    return nullptr;
  absl::MutexLock lock(&clients_mu_);
  std::unique_ptr<AuditClient>& client = auditors_[person.employee_id()];
  if (client == nullptr) {
    ClientOptions options;
    options.target = config_.hub_target();
    options.cert_file = config_.audit_cert_file();
    options.key_file = config_.audit_key_file();
    options.ca_file = config_.hub_ca_file();
    options.max_attempts = 2;
    options.user_id = person.employee_id();
    options.user_role = person.function();
    options.user_name = person.name();
    absl::StatusOr<std::unique_ptr<AuditClient>> made =
        AuditClient::Connect(options);
    if (!made.ok()) return nullptr;
    client = *std::move(made);
  }
  return client.get();
}

}  // namespace ketenhub::console
