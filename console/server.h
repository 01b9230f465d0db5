#ifndef KETENHUB_CONSOLE_SERVER_H_
#define KETENHUB_CONSOLE_SERVER_H_

// Internal to ketenconsole: the server behind ConsoleServer, whose route
// groups live in console_server.cc (the core: sign-in, static files,
// sign-out), worklist_routes.cc (the worklist and the signal) and
// audit_routes.cc (the auditor's page).

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/audit_client.h"
#include "client/chain_director_client.h"
#include "console/audit_report.h"
#include "console/console_server.h"
#include "console/event_feed.h"
#include "console/pages.h"
#include "console/sessions.h"
#include "httplib.h"
#include "ketenhub/v1/report.grpc.pb.h"

namespace ketenhub::console {

inline constexpr char kCookie[] = "kc_session";

// The employee id a verified personal certificate names (its subject
// serialNumber), or why there is none, in words for the refusal page.
absl::StatusOr<std::string> EmployeeOf(const httplib::Request& request);
// The session cookie's value, or "".
std::string CookieValue(const httplib::Request& request);
// How the console reaches the hub as the organisation of a receiver's
// `role`: the chain director's (hub_cert_file) or the care coordinator's
// (care_cert_file). No person: the event feeds are the console's own.
ClientOptions OrganisationOptions(const v1::ConsoleConfig& config,
                                  v1::Role role);

// The console: TLS with personal certificates, sessions, the hub clients
// per person, and the routes. Thread-safe as cpp-httplib calls it.
class Server final : public ConsoleServer {
 public:
  Server(v1::ConsoleConfig config, Pages pages, std::string hub_audit_key)
      : config_(std::move(config)),
        pages_(std::move(pages)),
        hub_audit_key_(std::move(hub_audit_key)),
        sessions_(absl::Minutes(config_.idle_timeout_minutes())),
        http_([this](SSL_CTX& ctx) { return SetUpTls(ctx); }),
        feed_(OrganisationOptions(config_, v1::ROLE_CHAIN_DIRECTOR)) {
    if (!config_.care_cert_file().empty()) {
      care_feed_ = std::make_unique<EventFeed>(
          OrganisationOptions(config_, v1::ROLE_CARE_COORDINATOR));
    }
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
        SSL_CTX_load_verify_locations(&ctx, config_.people_ca_file().c_str(),
                                      nullptr) != 1) {
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

  void Refuse(httplib::Response& response, int status, const std::string& title,
              const std::string& why) {
    response.status = status;
    response.set_content(pages_.Refusal(title, why),
                         "text/html; charset=utf-8");
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
      Refuse(response, 403, "Geen toegang",
             std::string(employee.status().message()));
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
      response.set_header("Set-Cookie",
                          absl::StrCat(kCookie, "=", session->id,
                                       "; Path=/; Secure; HttpOnly; "
                                       "SameSite=Strict"));
    }
    return Visitor{person->second, *std::move(session)};
  }

  // The worklist's screens are the receivers': the chain director's and
  // the care coordinator's, each seeing its own organisation's signals.
  bool ReceiverOnly(const Visitor& visitor, httplib::Response& response) {
    const v1::Role role = visitor.person.role();
    if (role == v1::ROLE_CHAIN_DIRECTOR || role == v1::ROLE_CARE_COORDINATOR)
      return true;
    Refuse(response, 403, "Geen toegang",
           "Dit scherm is voor de ketenregisseur en de zorgcoördinator.");
    return false;
  }
  // The event feed of `person`'s organisation.
  const EventFeed& FeedOf(const v1::ConsolePerson& person) const {
    return person.role() == v1::ROLE_CARE_COORDINATOR && care_feed_ != nullptr
               ? *care_feed_
               : feed_;
  }
  // The receiver a signal goes to when `person` hands it over: the other
  // one, or "" when the console does not know both.
  std::string HandOverTarget(const v1::ConsolePerson& person) const {
    if (config_.chain_director_partner().empty() ||
        config_.care_coordinator_partner().empty()) {
      return "";
    }
    return person.role() == v1::ROLE_CARE_COORDINATOR
               ? config_.chain_director_partner()
               : config_.care_coordinator_partner();
  }

  // A POST's CSRF token must be the session's.
  bool CsrfOk(const httplib::Request& request, const Session& session) {
    const std::string token = request.get_param_value("csrf");
    return !token.empty() && token.size() == session.csrf_token.size() &&
           CRYPTO_memcmp(token.data(), session.csrf_token.data(),
                         token.size()) == 0;
  }

  // The console's people of `visitor`'s role (chain directors, or care
  // coordinators), to assign to and filter by.
  std::vector<v1::ConsolePerson> Colleagues(
      const v1::ConsolePerson& visitor) const {
    std::vector<v1::ConsolePerson> out;
    for (const auto& [id, person] : people_) {
      if (person.role() == visitor.role()) out.push_back(person);
    }
    return out;
  }
  bool IsColleague(const v1::ConsolePerson& visitor,
                   const std::string& employee_id) const {
    auto found = people_.find(employee_id);
    return found != people_.end() && found->second.role() == visitor.role();
  }
  // Every person of the console, to show ids by name (a hand-over names a
  // person of the other receiver).
  std::vector<v1::ConsolePerson> People() const {
    std::vector<v1::ConsolePerson> out;
    for (const auto& [id, person] : people_) out.push_back(person);
    return out;
  }

  // The field a refusal of the hub names ("legal_basis: required" gives
  // legal_basis), or "state" for a step the signal's state does not allow;
  // only letters and '_' (it goes into a URL).
  static std::string RefusedFieldOf(const absl::Status& status) {
    const absl::string_view message = status.message();
    if (absl::StrContains(message, "change_reason")) return "change_reason";
    const std::string field(message.substr(0, message.find(':')));
    const bool plain = !field.empty() && field.size() <= 20 &&
                       field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") ==
                           std::string::npos;
    if (plain && field != "signal_id") return field;
    return absl::IsFailedPrecondition(status) ? "state" : "";
  }

  // `person`'s client as their receiving organisation; null for anyone
  // else (an auditor never acts as a receiver) or when it cannot connect.
  ChainDirectorClient* Director(const v1::ConsolePerson& person) {
    if (person.role() != v1::ROLE_CHAIN_DIRECTOR &&
        person.role() != v1::ROLE_CARE_COORDINATOR) {
      return nullptr;
    }
    absl::MutexLock lock(&clients_mu_);
    std::unique_ptr<ChainDirectorClient>& client =
        clients_[person.employee_id()];
    if (client == nullptr) {
      ClientOptions options = OrganisationOptions(config_, person.role());
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

  // Route groups, each in its own file: the core (console_server.cc), the
  // worklist and the signal (worklist_routes.cc), the auditor
  // (audit_routes.cc).
  void Routes();
  void WorklistRoutes();
  void SignalRoutes();
  void AuditRoutes();
  void FiguresRoutes();
  AuditClient* Auditor(const v1::ConsolePerson& person);
  // `person`'s stub for figures, as their receiving organisation; null as
  // for Director.
  v1::ReportService::Stub* Reporter(const v1::ConsolePerson& person);

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
  std::map<std::string, std::unique_ptr<v1::ReportService::Stub>> reporters_
      ABSL_GUARDED_BY(clients_mu_);
  httplib::SSLServer http_;
  EventFeed feed_;                        // the chain director's organisation's
  std::unique_ptr<EventFeed> care_feed_;  // the care coordinator's, if any
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace ketenhub::console

#endif  // KETENHUB_CONSOLE_SERVER_H_
