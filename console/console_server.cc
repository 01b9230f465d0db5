#include "console/server.h"
#include "server/common/text_proto.h"

namespace ketenhub::console {

// The employee id a verified personal certificate names (its subject
// serialNumber), or why there is none.
absl::StatusOr<std::string> EmployeeOf(const httplib::Request& request) {
  if (request.ssl == nullptr) return absl::UnauthenticatedError("geen TLS");
  X509* cert = SSL_get1_peer_certificate(request.ssl);
  if (cert == nullptr) {
    return absl::UnauthenticatedError(
        "Uw browser stuurde geen persoonlijk certificaat.");
  }
  const long verified = SSL_get_verify_result(request.ssl);
  std::string employee;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1);
  if (at >= 0) {
    ASN1_STRING* value =
        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    employee.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    ASN1_STRING_length(value));
  }
  X509_free(cert);
  if (verified != X509_V_OK) {
    return absl::UnauthenticatedError(
        "Uw certificaat is niet uitgegeven door de certificaatautoriteit voor "
        "medewerkers van deze organisatie, of het is verlopen.");
  }
  if (employee.empty()) {
    return absl::UnauthenticatedError(
        "Uw certificaat noemt geen medewerkernummer.");
  }
  return employee;
}

std::string CookieValue(const httplib::Request& request) {
  const std::string header = request.get_header_value("Cookie");
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, absl::StrCat(kCookie, "=")))
      return std::string(part);
  }
  return "";
}

// How the console reaches the hub as its organisation (no person: the
// event feed is the console's own, as a system).
ClientOptions OrganisationOptions(const v1::ConsoleConfig& config,
                                  v1::Role role) {
  const bool care = role == v1::ROLE_CARE_COORDINATOR;
  ClientOptions options;
  options.target = config.hub_target();
  options.cert_file = care ? config.care_cert_file() : config.hub_cert_file();
  options.key_file = care ? config.care_key_file() : config.hub_key_file();
  options.ca_file = config.hub_ca_file();
  return options;
}

void Server::Routes() {
  http_.set_pre_routing_handler(
      [](const httplib::Request&, httplib::Response& response) {
        Secure(response);
        return httplib::Server::HandlerResponse::Unhandled;
      });
  http_.set_error_handler(
      [this](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return;
        Refuse(response, response.status, "Niet gevonden",
               "Deze pagina bestaat niet.");
      });
  http_.set_exception_handler([this](const httplib::Request&,
                                     httplib::Response& response,
                                     std::exception_ptr) {
    Refuse(response, 500, "Er ging iets mis",
           "De console kon dit verzoek niet afhandelen. Probeer het "
           "opnieuw; blijft het misgaan, meld het de beheerder.");
  });
  http_.Get("/static/console.css",
            [this](const httplib::Request&, httplib::Response& response) {
              response.set_header("Cache-Control", "max-age=3600");
              response.set_content(pages_.Stylesheet(), "text/css");
            });
  http_.Get("/static/werklijst.js",
            [this](const httplib::Request&, httplib::Response& response) {
              response.set_header("Cache-Control", "max-age=3600");
              response.set_content(pages_.Script(), "application/javascript");
            });
  // Live updates for open worklists (Server-Sent Events): an event once
  // the hub's stream moved past the generation the page was made at.
  http_.Get("/", [this](const httplib::Request& request,
                        httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor) return;
    response.set_redirect(
        visitor->person.role() == v1::ROLE_AUDITOR ? "/audit" : "/werklijst",
        303);
  });
  http_.Post("/afmelden", [this](const httplib::Request& request,
                                 httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor) return;
    if (!CsrfOk(request, visitor->session)) {
      Refuse(response, 403, "Formulier verlopen",
             "Open de console opnieuw en meld u dan af.");
      return;
    }
    sessions_.End(visitor->session.id);
    response.set_header("Set-Cookie",
                        absl::StrCat(kCookie,
                                     "=; Path=/; Secure; HttpOnly; "
                                     "SameSite=Strict; Max-Age=0"));
    response.set_content(pages_.SignedOut(), "text/html; charset=utf-8");
  });
  WorklistRoutes();
  SignalRoutes();
  AuditRoutes();
  FiguresRoutes();
}
absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(
    const v1::ConsoleConfig& given) {
  v1::ConsoleConfig config = given;
  if (config.listen_address().empty())
    config.set_listen_address("127.0.0.1:8443");
  if (config.idle_timeout_minutes() == 0) config.set_idle_timeout_minutes(15);
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"tls_cert_file",
                                                   &config.tls_cert_file()},
        {"tls_key_file", &config.tls_key_file()},
        {"people_ca_file", &config.people_ca_file()},
        {"hub_target", &config.hub_target()},
        {"hub_cert_file", &config.hub_cert_file()},
        {"hub_key_file", &config.hub_key_file()},
        {"hub_ca_file", &config.hub_ca_file()}}) {
    if (value->empty())
      return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  for (int i = 0; i < config.people_size(); ++i) {
    const v1::ConsolePerson& person = config.people(i);
    if (person.employee_id().empty() || person.function().empty() ||
        (person.role() != v1::ROLE_CHAIN_DIRECTOR &&
         person.role() != v1::ROLE_CARE_COORDINATOR &&
         person.role() != v1::ROLE_AUDITOR)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "people[", i,
          "]: employee_id, function and role (ROLE_CHAIN_DIRECTOR, "
          "ROLE_CARE_COORDINATOR or ROLE_AUDITOR) required"));
    }
    if (person.role() == v1::ROLE_CARE_COORDINATOR &&
        (config.care_cert_file().empty() || config.care_key_file().empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "people[", i,
          "]: a care coordinator needs care_cert_file and care_key_file"));
    }
  }
  absl::StatusOr<Pages> pages = Pages::Load(config.templates_dir());
  if (!pages.ok()) return pages.status();
  std::string hub_audit_key;
  if (!config.hub_audit_key_file().empty()) {
    absl::StatusOr<std::string> key =
        ReadFileToString(config.hub_audit_key_file());
    if (!key.ok() || key->empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "hub_audit_key_file: cannot read ", config.hub_audit_key_file()));
    }
    hub_audit_key = *std::move(key);
  }
  auto server = std::make_unique<Server>(config, *std::move(pages),
                                         std::move(hub_audit_key));
  if (absl::Status bound = server->Bind(); !bound.ok()) return bound;
  return server;
}

}  // namespace ketenhub::console
