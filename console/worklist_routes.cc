#include <algorithm>
#include <utility>

#include "console/server.h"

namespace ketenhub::console {

void Server::WorklistRoutes() {
  http_.Get("/werklijst/updates", [this](const httplib::Request& request,
                                         httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    uint64_t seen = 0;
    (void)absl::SimpleAtoi(request.get_param_value("na"), &seen);
    const EventFeed& feed = FeedOf(visitor->person);
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, &feed, seen](size_t, httplib::DataSink& sink) mutable {
          const uint64_t now = feed.WaitBeyond(seen, absl::Seconds(5));
          if (stopping_) return false;
          const std::string message =
              now > seen ? absl::StrCat("event: werklijst\ndata: ", now, "\n\n")
                         : std::string(": nog niets\n\n");
          seen = now;
          return sink.is_writable() &&
                 sink.write(message.data(), message.size());
        });
  });
  http_.Get("/werklijst", [this](const httplib::Request& request,
                                 httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    WorklistView view;
    view.filter = {request.get_param_value("status"),
                   request.get_param_value("urgentie"),
                   request.get_param_value("categorie"),
                   request.get_param_value("toegewezen")};
    view.colleagues = Colleagues(visitor->person);
    view.people = People();
    v1::WorklistRequest query;
    absl::Status filter = ParseWorklistFilter(view.filter, query);
    if (filter.ok() && !view.filter.assignee.empty() &&
        !IsColleague(visitor->person, view.filter.assignee)) {
      filter = absl::InvalidArgumentError("toegewezen aan");
    }
    if (!filter.ok()) {
      Refuse(response, 400, "Onbekend filter",
             absl::StrCat("Het filter \"", filter.message(),
                          "\" kent deze waarde niet. Kies een waarde uit de "
                          "lijst op de werklijst."));
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
    view.generation = FeedOf(visitor->person).generation();
    view.notice = request.get_param_value("melding");
    response.set_content(
        pages_.Worklist(visitor->person, visitor->session, view),
        "text/html; charset=utf-8");
  });
  http_.Post("/werklijst/toewijzen", [this](const httplib::Request& request,
                                            httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    if (!CsrfOk(request, visitor->session)) {
      Refuse(response, 403, "Formulier verlopen",
             "Dit formulier hoort niet (meer) bij uw sessie. Open de "
             "werklijst opnieuw en probeer het nog eens.");
      return;
    }
    // To oneself unless a colleague is named; only people of this console
    // with one's own role can be named.
    std::string to = request.get_param_value("aan");
    if (to.empty()) to = visitor->person.employee_id();
    if (!IsColleague(visitor->person, to)) {
      Refuse(response, 400, "Onbekende collega",
             "U kunt alleen toewijzen aan een collega uit de lijst.");
      return;
    }
    ChainDirectorClient* director = Director(visitor->person);
    absl::StatusOr<v1::WorkItem> item =
        director == nullptr
            ? absl::UnavailableError("hub")
            : director->Assign(request.get_param_value("signaal"), to);
    response.set_redirect(item.ok() ? "/werklijst?melding=toegewezen"
                                    : "/werklijst?melding=niet-toegewezen",
                          303);
  });
}

void Server::SignalRoutes() {
  http_.Get(R"(/signaal/([0-9a-f-]{36}))", [this](
                                               const httplib::Request& request,
                                               httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
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
    SignalView view{*std::move(signal),
                    request.get_param_value("melding"),
                    request.get_param_value("veld"),
                    {config_.partners().begin(), config_.partners().end()},
                    People(),
                    HandOverTarget(visitor->person)};
    response.set_content(pages_.Signal(visitor->person, visitor->session, view),
                         "text/html; charset=utf-8");
  });
  // One person's timeline: the worklist of that signal's person, closed
  // signals too, oldest first. Work items only: no content, no name.
  http_.Get(R"(/persoon/([0-9a-f-]{36}))", [this](
                                               const httplib::Request& request,
                                               httplib::Response& response) {
    std::optional<Visitor> visitor = SignIn(request, response);
    if (!visitor || !ReceiverOnly(*visitor, response)) return;
    ChainDirectorClient* director = Director(visitor->person);
    PersonView view;
    view.signal_id = request.matches[1].str();
    view.notice = request.get_param_value("melding");
    absl::Status read =
        director == nullptr ? absl::UnavailableError("hub") : absl::OkStatus();
    for (v1::TriageState state :
         {v1::TRIAGE_STATE_UNSPECIFIED, v1::TRIAGE_STATE_CLOSED}) {
      v1::WorklistRequest query;
      query.set_person_of(view.signal_id);
      query.set_state(state);
      query.set_page_size(500);
      while (read.ok()) {
        absl::StatusOr<v1::WorklistResponse> page = director->Worklist(query);
        if (!page.ok()) {
          read = page.status();
          break;
        }
        for (v1::WorkItem& item : *page->mutable_items())
          view.items.push_back(std::move(item));
        if (page->next_page_token().empty()) break;
        query.set_page_token(page->next_page_token());
      }
    }
    if (read.ok() && view.items.empty()) read = absl::NotFoundError("signal");
    if (!read.ok()) {
      if (absl::IsNotFound(read) || absl::IsInvalidArgument(read)) {
        Refuse(response, 404, "Niet gevonden",
               "Dit signaal bestaat niet of is niet voor uw organisatie.");
      } else {
        Refuse(response, 503, "Niet beschikbaar",
               "De tijdlijn kon niet worden opgehaald. Probeer het zo "
               "opnieuw.");
      }
      return;
    }
    std::stable_sort(
        view.items.begin(), view.items.end(),
        [](const v1::WorkItem& a, const v1::WorkItem& b) {
          return std::pair(a.received_at().seconds(), a.received_at().nanos()) <
                 std::pair(b.received_at().seconds(), b.received_at().nanos());
        });
    response.set_content(pages_.Person(visitor->person, visitor->session, view),
                         "text/html; charset=utf-8");
  });
  // A possible match: both signals side by side, and the judgement.
  http_.Get(
      R"(/mogelijke-match/([0-9a-f-]{36})/([0-9a-f-]{36}))",
      [this](const httplib::Request& request, httplib::Response& response) {
        std::optional<Visitor> visitor = SignIn(request, response);
        if (!visitor || !ReceiverOnly(*visitor, response)) return;
        ChainDirectorClient* director = Director(visitor->person);
        PossibleMatchView view;
        view.notice = request.get_param_value("melding");
        view.field = request.get_param_value("veld");
        absl::Status read = absl::UnavailableError("hub");
        if (director != nullptr) {
          absl::StatusOr<v1::ReleasedSignal> one =
              director->GetSignal(request.matches[1].str());
          absl::StatusOr<v1::ReleasedSignal> two =
              one.ok() ? director->GetSignal(request.matches[2].str())
                       : one.status();
          read = two.status();
          if (read.ok()) {
            view.signal = *std::move(one);
            view.other = *std::move(two);
          }
        }
        if (!read.ok()) {
          Refuse(response, absl::IsNotFound(read) ? 404 : 503,
                 absl::IsNotFound(read) ? "Niet gevonden" : "Niet beschikbaar",
                 "De signalen konden niet worden opgehaald; bestaan ze "
                 "en zijn ze voor uw organisatie?");
          return;
        }
        response.set_content(
            pages_.PossibleMatch(visitor->person, visitor->session, view),
            "text/html; charset=utf-8");
      });
  http_.Post(
      R"(/mogelijke-match/([0-9a-f-]{36})/([0-9a-f-]{36}))",
      [this](const httplib::Request& request, httplib::Response& response) {
        std::optional<Visitor> visitor = SignIn(request, response);
        if (!visitor || !ReceiverOnly(*visitor, response)) return;
        if (!CsrfOk(request, visitor->session)) {
          Refuse(response, 403, "Formulier verlopen",
                 "Dit formulier hoort niet (meer) bij uw sessie. Open de "
                 "mogelijke match opnieuw en probeer het nog eens.");
          return;
        }
        const std::string choice = request.get_param_value("besluit");
        if (choice != "bevestigen" && choice != "afwijzen") {
          Refuse(response, 400, "Geen keuze",
                 "Kies bevestigen (één persoon) of afwijzen.");
          return;
        }
        const std::string signal = request.matches[1].str();
        const std::string other = request.matches[2].str();
        v1::JudgeMatchRequest judge;
        judge.set_signal_id(signal);
        judge.set_other_signal_id(other);
        judge.set_confirm(choice == "bevestigen");
        judge.set_reason(request.get_param_value("reden"));
        ChainDirectorClient* director = Director(visitor->person);
        absl::StatusOr<v1::JudgeMatchResponse> judged =
            director == nullptr ? absl::UnavailableError("hub")
                                : director->JudgeMatch(judge);
        response.set_redirect(
            judged.ok() ? absl::StrCat("/persoon/", signal, "?melding=",
                                       choice == "bevestigen" ? "bevestigd"
                                                              : "afgewezen")
                        : absl::StrCat("/mogelijke-match/", signal, "/", other,
                                       "?melding=geweigerd&veld=",
                                       RefusedFieldOf(judged.status())),
            303);
      });
  // The signal's forms: each a step by the signed-in person, then back to
  // the signal with a notice.
  auto step = [this](const char* pattern,
                     std::function<absl::Status(
                         ChainDirectorClient&, const v1::ConsolePerson& person,
                         const std::string& signal, const httplib::Request&)>
                         act,
                     const char* done) {
    http_.Post(pattern, [this, act, done](const httplib::Request& request,
                                          httplib::Response& response) {
      std::optional<Visitor> visitor = SignIn(request, response);
      if (!visitor || !ReceiverOnly(*visitor, response)) return;
      if (!CsrfOk(request, visitor->session)) {
        Refuse(response, 403, "Formulier verlopen",
               "Dit formulier hoort niet (meer) bij uw sessie. Open het "
               "signaal opnieuw en probeer het nog eens.");
        return;
      }
      const std::string signal = request.matches[1].str();
      ChainDirectorClient* director = Director(visitor->person);
      const absl::Status acted =
          director == nullptr
              ? absl::UnavailableError("hub")
              : act(*director, visitor->person, signal, request);
      response.set_redirect(
          acted.ok()
              ? absl::StrCat("/signaal/", signal, "?melding=", done)
              : absl::StrCat("/signaal/", signal,
                             "?melding=geweigerd&veld=", RefusedFieldOf(acted)),
          303);
    });
  };
  step(R"(/signaal/([0-9a-f-]{36})/vrijgeven)",
       [](ChainDirectorClient& director, const v1::ConsolePerson&,
          const std::string& signal, const httplib::Request& request) {
         v1::ReleaseRequest release;
         release.set_signal_id(signal);
         v1::DataKind kind = v1::DATA_KIND_UNSPECIFIED;
         v1::DataKind_Parse(request.get_param_value("soort"), &kind);
         release.set_kind(kind);
         release.set_legal_basis(request.get_param_value("grondslag"));
         release.set_on_behalf_of(request.get_param_value("namens"));
         return director.Release(release).status();
       },
       "vrijgegeven");
  step(R"(/signaal/([0-9a-f-]{36})/besluiten)",
       [](ChainDirectorClient& director, const v1::ConsolePerson&,
          const std::string& signal, const httplib::Request& request) {
         v1::DecideRequest decide;
         decide.set_signal_id(signal);
         v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
         v1::Outcome_Parse(request.get_param_value("uitkomst"), &outcome);
         decide.set_outcome(outcome);
         decide.set_reason(request.get_param_value("reden"));
         decide.set_handed_to(request.get_param_value("overgedragen"));
         decide.set_referred_to(request.get_param_value("verwezen"));
         decide.set_change_reason(request.get_param_value("wijziging"));
         decide.set_on_behalf_of(request.get_param_value("namens"));
         return director.Decide(decide).status();
       },
       "besloten");
  // To the other receiver: the console knows which (HandOverTarget); the
  // form does not say.
  step(R"(/signaal/([0-9a-f-]{36})/overdragen)",
       [this](ChainDirectorClient& director, const v1::ConsolePerson& person,
              const std::string& signal, const httplib::Request& request) {
         const std::string to = HandOverTarget(person);
         if (to.empty()) return absl::FailedPreconditionError("to: not set up");
         return director.HandOver(signal, to, request.get_param_value("reden"))
             .status();
       },
       "overgedragen");
  step(R"(/signaal/([0-9a-f-]{36})/sluiten)",
       [](ChainDirectorClient& director, const v1::ConsolePerson&,
          const std::string& signal, const httplib::Request& request) {
         return director.Close(signal, request.get_param_value("reden"))
             .status();
       },
       "gesloten");
}

}  // namespace ketenhub::console
