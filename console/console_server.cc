#include "console/console_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/audit_client.h"
#include "client/chain_director_client.h"
#include "console/audit_report.h"
#include "console/event_feed.h"
#include "console/pages.h"
#include "console/sessions.h"
#include "httplib.h"

namespace ketenhub::console {
namespace {

constexpr char kCookie[] = "kc_session";

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
ClientOptions OrganisationOptions(const v1::ConsoleConfig& config) {
  ClientOptions options;
  options.target = config.hub_target();
  options.cert_file = config.hub_cert_file();
  options.key_file = config.hub_key_file();
  options.ca_file = config.hub_ca_file();
  return options;
}

class Server final : public ConsoleServer {
 public:
  Server(v1::ConsoleConfig config, Pages pages, std::string hub_audit_key)
      : config_(std::move(config)),
        pages_(std::move(pages)),
        hub_audit_key_(std::move(hub_audit_key)),
        sessions_(absl::Minutes(config_.idle_timeout_minutes())),
        http_([this](SSL_CTX& ctx) { return SetUpTls(ctx); }),
        feed_(OrganisationOptions(config_)) {
    // Live-update streams hold a thread each while open.
    http_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    for (const v1::ConsolePerson& person : config_.people())
      people_[person.employee_id()] = person;
    Routes();
  }

  absl::Status Bind() {
    if (!http_.is_valid()) {
      return absl::FailedPreconditionError(
          "tls: cannot use tls_cert_file, tls_key_file or people_ca_file");
    }
    std::pair<std::string, std::string> host_port =
        absl::StrSplit(config_.listen_address(), absl::MaxSplits(':', 1));
    int port = 0;
    if (!absl::SimpleAtoi(host_port.second, &port) ||
        !http_.bind_to_port(host_port.first.c_str(), port)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "listen_address: cannot listen on ", config_.listen_address()));
    }
    port_ = port;
    return absl::OkStatus();
  }

  int port() const override { return port_; }
  void Serve() override { http_.listen_after_bind(); }
  void Stop() override {
    stopping_ = true;  // open live-update streams end within 5 s
    http_.stop();
  }

 private:
  // Mutual TLS, the refusals as pages: the handshake accepts any client
  // certificate (or none); every request checks what verification said.
  bool SetUpTls(SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(
            &ctx, config_.tls_cert_file().c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(&ctx, config_.tls_key_file().c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(
            &ctx, config_.people_ca_file().c_str(), nullptr) != 1) {
      return false;
    }
    SSL_CTX_set_client_CA_list(
        &ctx, SSL_load_client_CA_file(config_.people_ca_file().c_str()));
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER,
                       [](int, X509_STORE_CTX*) { return 1; });
    return true;
  }

  // The headers of every answer.
  static void Secure(httplib::Response& response) {
    response.set_header("Content-Security-Policy",
                        "default-src 'self'; form-action 'self'; "
                        "frame-ancestors 'none'; base-uri 'none'");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Cache-Control", "no-store");
    response.set_header("Strict-Transport-Security", "max-age=31536000");
  }

  void Refuse(httplib::Response& response, int status,
              const std::string& title, const std::string& why) {
    response.status = status;
    response.set_content(pages_.Refusal(title, why), "text/html; charset=utf-8");
  }

  // The signed-in person and their session, or a refusal page (then
  // nullopt).
  struct Visitor {
    v1::ConsolePerson person;
    Session session;
  };
  std::optional<Visitor> SignIn(const httplib::Request& request,
                                httplib::Response& response) {
    absl::StatusOr<std::string> employee = EmployeeOf(request);
    if (!employee.ok()) {
      Refuse(response, 403, "Geen toegang", std::string(employee.status().message()));
      return std::nullopt;
    }
    auto person = people_.find(*employee);
    if (person == people_.end()) {
      Refuse(response, 403, "Geen toegang",
             "Uw certificaat is geldig, maar u staat niet in de lijst van "
             "medewerkers die deze console mogen gebruiken. Vraag de "
             "beheerder van KetenHub om u toe te voegen.");
      return std::nullopt;
    }
    const absl::Time now = absl::Now();
    std::optional<Session> session =
        sessions_.Find(CookieValue(request), *employee, now);
    if (!session.has_value()) {
      session = sessions_.Start(*employee, now);
      response.set_header(
          "Set-Cookie", absl::StrCat(kCookie, "=", session->id,
                                     "; Path=/; Secure; HttpOnly; "
                                     "SameSite=Strict"));
    }
    return Visitor{person->second, *std::move(session)};
  }

  bool ChainDirectorOnly(const Visitor& visitor, httplib::Response& response) {
    if (visitor.person.role() == v1::ROLE_CHAIN_DIRECTOR) return true;
    Refuse(response, 403, "Geen toegang",
           "Dit scherm is voor de ketenregisseur.");
    return false;
  }

  // A POST's CSRF token must be the session's.
  bool CsrfOk(const httplib::Request& request, const Session& session) {
    const std::string token = request.get_param_value("csrf");
    return !token.empty() && token.size() == session.csrf_token.size() &&
           CRYPTO_memcmp(token.data(), session.csrf_token.data(),
                         token.size()) == 0;
  }

  ChainDirectorClient* Director(const v1::ConsolePerson& person) {
    absl::MutexLock lock(&clients_mu_);
    std::unique_ptr<ChainDirectorClient>& client =
        clients_[person.employee_id()];
    if (client == nullptr) {
      ClientOptions options;
      options.target = config_.hub_target();
      options.cert_file = config_.hub_cert_file();
      options.key_file = config_.hub_key_file();
      options.ca_file = config_.hub_ca_file();
      options.max_attempts = 2;
      options.user_id = person.employee_id();
      options.user_role = person.function();
      options.user_name = person.name();
      absl::StatusOr<std::unique_ptr<ChainDirectorClient>> made =
          ChainDirectorClient::Connect(options);
      if (!made.ok()) return nullptr;
      client = *std::move(made);
    }
    return client.get();
  }

  void Routes() {
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
                response.set_content(pages_.Script(),
                                     "application/javascript");
              });
    // Live updates for open worklists (Server-Sent Events): an event once
    // the hub's stream moved past the generation the page was made at.
    http_.Get("/werklijst/updates", [this](const httplib::Request& request,
                                           httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor || !ChainDirectorOnly(*visitor, response)) return;
      uint64_t seen = 0;
      (void)absl::SimpleAtoi(request.get_param_value("na"), &seen);
      response.set_chunked_content_provider(
          "text/event-stream",
          [this, seen](size_t, httplib::DataSink& sink) mutable {
            const uint64_t now = feed_.WaitBeyond(seen, absl::Seconds(5));
            if (stopping_) return false;
            const std::string message =
                now > seen ? absl::StrCat("event: werklijst\ndata: ", now,
                                          "\n\n")
                           : std::string(": nog niets\n\n");
            seen = now;
            return sink.is_writable() &&
                   sink.write(message.data(), message.size());
          });
    });
    http_.Get("/", [this](const httplib::Request& request,
                          httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor) return;
      response.set_redirect(
          visitor->person.role() == v1::ROLE_CHAIN_DIRECTOR ? "/werklijst"
                                                            : "/audit",
          303);
    });
    http_.Get("/werklijst", [this](const httplib::Request& request,
                                   httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor || !ChainDirectorOnly(*visitor, response)) return;
      WorklistView view;
      view.state = request.get_param_value("status");
      v1::WorklistRequest query;
      if (!ParseStateFilter(view.state, query)) {
        Refuse(response, 400, "Onbekende status",
               "Kies een status uit de lijst.");
        return;
      }
      ChainDirectorClient* director = Director(visitor->person);
      absl::StatusOr<v1::WorklistResponse> list =
          director == nullptr ? absl::UnavailableError("hub")
                              : director->Worklist(query);
      if (!list.ok()) {
        Refuse(response, 503, "KetenHub is niet bereikbaar",
               "De werklijst kon niet worden opgehaald. Probeer het zo "
               "opnieuw.");
        return;
      }
      view.list = *std::move(list);
      view.generation = feed_.generation();
      view.notice = request.get_param_value("melding");
      response.set_content(
          pages_.Worklist(visitor->person, visitor->session, view),
          "text/html; charset=utf-8");
    });
    http_.Post("/werklijst/toewijzen", [this](const httplib::Request& request,
                                              httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor) return;
      if (!CsrfOk(request, visitor->session)) {
        Refuse(response, 403, "Formulier verlopen",
               "Dit formulier hoort niet (meer) bij uw sessie. Open de "
               "werklijst opnieuw en probeer het nog eens.");
        return;
      }
      ChainDirectorClient* director = Director(visitor->person);
      absl::StatusOr<v1::WorkItem> item =
          director == nullptr
              ? absl::UnavailableError("hub")
              : director->Assign(request.get_param_value("signaal"),
                                 visitor->person.employee_id());
      response.set_redirect(
          item.ok() ? "/werklijst?melding=toegewezen"
                    : "/werklijst?melding=niet-toegewezen",
          303);
    });
    http_.Get(R"(/signaal/([0-9a-f-]{36}))", [this](const httplib::Request& request,
                                                   httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor || !ChainDirectorOnly(*visitor, response)) return;
      ChainDirectorClient* director = Director(visitor->person);
      absl::StatusOr<v1::ReleasedSignal> signal =
          director == nullptr ? absl::UnavailableError("hub")
                              : director->GetSignal(request.matches[1].str());
      if (!signal.ok()) {
        if (absl::IsNotFound(signal.status())) {
          Refuse(response, 404, "Niet gevonden",
                 "Dit signaal bestaat niet of is niet voor uw organisatie.");
        } else {
          Refuse(response, 503, "Niet beschikbaar",
                 "Het signaal kon niet worden opgehaald.");
        }
        return;
      }
      SignalView view{*std::move(signal), request.get_param_value("melding")};
      response.set_content(pages_.Signal(visitor->person, visitor->session, view),
                           "text/html; charset=utf-8");
    });
    // The signal's forms: each a step by the signed-in person, then back to
    // the signal with a notice.
    auto step = [this](const char* pattern,
                       std::function<absl::Status(ChainDirectorClient&,
                                                  const std::string& signal,
                                                  const httplib::Request&)>
                           act,
                       const char* done) {
      http_.Post(pattern, [this, act, done](const httplib::Request& request,
                                            httplib::Response& response) {
        std::optional<Visitor> visitor = SignIn(request, response);
        if (!visitor || !ChainDirectorOnly(*visitor, response)) return;
        if (!CsrfOk(request, visitor->session)) {
          Refuse(response, 403, "Formulier verlopen",
                 "Dit formulier hoort niet (meer) bij uw sessie. Open het "
                 "signaal opnieuw en probeer het nog eens.");
          return;
        }
        const std::string signal = request.matches[1].str();
        ChainDirectorClient* director = Director(visitor->person);
        const absl::Status acted = director == nullptr
                                       ? absl::UnavailableError("hub")
                                       : act(*director, signal, request);
        response.set_redirect(
            absl::StrCat("/signaal/", signal, "?melding=",
                         acted.ok() ? done : "geweigerd"),
            303);
      });
    };
    step(R"(/signaal/([0-9a-f-]{36})/vrijgeven)",
         [](ChainDirectorClient& director, const std::string& signal,
            const httplib::Request& request) {
           v1::ReleaseRequest release;
           release.set_signal_id(signal);
           v1::DataKind kind = v1::DATA_KIND_UNSPECIFIED;
           v1::DataKind_Parse(request.get_param_value("soort"), &kind);
           release.set_kind(kind);
           release.set_legal_basis(request.get_param_value("grondslag"));
           return director.Release(release).status();
         },
         "vrijgegeven");
    step(R"(/signaal/([0-9a-f-]{36})/besluiten)",
         [](ChainDirectorClient& director, const std::string& signal,
            const httplib::Request& request) {
           v1::DecideRequest decide;
           decide.set_signal_id(signal);
           v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
           v1::Outcome_Parse(request.get_param_value("uitkomst"), &outcome);
           decide.set_outcome(outcome);
           decide.set_reason(request.get_param_value("reden"));
           decide.set_handed_to(request.get_param_value("overgedragen"));
           decide.set_change_reason(request.get_param_value("wijziging"));
           return director.Decide(decide).status();
         },
         "besloten");
    step(R"(/signaal/([0-9a-f-]{36})/sluiten)",
         [](ChainDirectorClient& director, const std::string& signal,
            const httplib::Request& request) {
           return director.Close(signal, request.get_param_value("reden"))
               .status();
         },
         "gesloten");
    AuditRoutes();
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
                          absl::StrCat(kCookie, "=; Path=/; Secure; HttpOnly; "
                                                "SameSite=Strict; Max-Age=0"));
      response.set_content(pages_.SignedOut(), "text/html; charset=utf-8");
    });
  }

  // The auditor's screens: the trail's state, the access report for one
  // person (the BSN only ever in a POST body) and the overview per
  // employee.
  void AuditRoutes() {
    auto answer = [this](const httplib::Request& request,
                         httplib::Response& response, bool is_post,
                         const std::function<std::optional<
                             v1::AuditQueryRequest>(std::string& asked)>&
                             question) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor) return;
      if (visitor->person.role() != v1::ROLE_AUDITOR) {
        Refuse(response, 403, "Geen toegang",
               "Dit scherm is voor de auditor.");
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
                       BuildAuditView(*auditor, hub_audit_key_,
                                      std::move(query), std::move(asked))),
          "text/html; charset=utf-8");
    };
    http_.Get("/audit", [answer](const httplib::Request& request,
                                 httplib::Response& response) {
      answer(request, response, false,
             [](std::string&) { return std::nullopt; });
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

  AuditClient* Auditor(const v1::ConsolePerson& person) {
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

  const v1::ConsoleConfig config_;
  const Pages pages_;
  const std::string hub_audit_key_;  // PEM, or empty
  Sessions sessions_;
  std::map<std::string, v1::ConsolePerson> people_;
  absl::Mutex clients_mu_;
  std::map<std::string, std::unique_ptr<ChainDirectorClient>> clients_
      ABSL_GUARDED_BY(clients_mu_);
  std::map<std::string, std::unique_ptr<AuditClient>> auditors_
      ABSL_GUARDED_BY(clients_mu_);
  httplib::SSLServer http_;
  EventFeed feed_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace

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
         person.role() != v1::ROLE_AUDITOR)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "people[", i, "]: employee_id, function and role "
          "(ROLE_CHAIN_DIRECTOR or ROLE_AUDITOR) required"));
    }
  }
  absl::StatusOr<Pages> pages = Pages::Load(config.templates_dir());
  if (!pages.ok()) return pages.status();
  std::string hub_audit_key;
  if (!config.hub_audit_key_file().empty()) {
    std::ifstream in(config.hub_audit_key_file());
    hub_audit_key.assign(std::istreambuf_iterator<char>(in),
                         std::istreambuf_iterator<char>());
    if (!in || hub_audit_key.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "hub_audit_key_file: cannot read ", config.hub_audit_key_file()));
    }
  }
  auto server = std::make_unique<Server>(config, *std::move(pages),
                                         std::move(hub_audit_key));
  if (absl::Status bound = server->Bind(); !bound.ok()) return bound;
  return server;
}

}  // namespace ketenhub::console
