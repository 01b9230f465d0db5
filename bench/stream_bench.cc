// ketenhub_stream_bench: measures the chain director's stream on a running hub.
//   latency: submits signals one by one at --rate per second and reports how
//            long after each receipt the idle subscriber got the event.
//   stall:   opens a Subscribe stream and never reads it for --seconds, to
//            show that a stalled subscriber does not grow the hub.
//   catchup: reads the stream from cursor 0 until --count events arrived.
#include <iostream>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/chain_director_client.h"
#include "client/signal_client.h"
#include "grpc/support/log.h"
#include "grpcpp/channel.h"

namespace {

ketenhub::ClientOptions OptionsFor(const std::string& hub,
                                   const std::string& pki,
                                   const std::string& name) {
  ketenhub::ClientOptions options;
  options.target = hub;
  options.cert_file = pki + "/" + name + ".pem";
  options.key_file = pki + "/" + name + "-key.pem";
  options.ca_file = pki + "/ca.pem";
  return options;
}

ketenhub::v1::Signal Signal(const std::string& ref) {
  ketenhub::v1::Signal s;
  s.set_client_ref(ref);
  s.set_category(ketenhub::v1::CATEGORY_LABOUR_EXPLOITATION);
  s.set_urgency(ketenhub::v1::URGENCY_ROUTINE);
  s.mutable_subject()->set_bsn("999990044");
  s.set_municipality("GM0402");
  s.mutable_observed_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) -
                                       86400);
  s.set_summary(std::string(400, 's'));
  s.set_legal_basis("Convenant Zorg- en Veiligheidshuis");
  s.mutable_contact()->set_name("Bench");
  s.mutable_contact()->set_phone("+31 00 000 0000");
  return s;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int Latency(const std::string& hub, const std::string& pki, int count,
            int rate) {
  auto director = *ketenhub::ChainDirectorClient::Connect(
      OptionsFor(hub, pki, "ketenregisseur"));
  auto submitter =
      *ketenhub::SignalClient::Connect(OptionsFor(hub, pki, "politie"));
  absl::Mutex mu;
  absl::flat_hash_map<std::string, absl::Time> arrived;
  std::thread watcher([&] {
    (void)director->Watch([&](const ketenhub::v1::Event& event) {
      if (event.has_signal_received()) {
        absl::MutexLock lock(&mu);
        arrived[event.signal_received().signal_id()] = absl::Now();
      }
      return true;
    });
  });
  absl::SleepFor(absl::Milliseconds(300));  // the stream is open and idle
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  std::vector<std::pair<std::string, absl::Time>> receipts;
  const absl::Duration interval = absl::Seconds(1) / rate;
  absl::Time next = absl::Now();
  for (int i = 0; i < count; ++i) {
    absl::SleepFor(next - absl::Now());
    next += interval;
    auto receipt = submitter->Submit(Signal(absl::StrCat("lat-", run, "-", i)));
    if (receipt.ok()) receipts.emplace_back(receipt->signal_id(), absl::Now());
  }
  absl::SleepFor(absl::Seconds(1));
  director->Cancel();
  watcher.join();
  std::vector<double> ms;
  for (const auto& [id, at] : receipts) {
    auto it = arrived.find(id);
    if (it != arrived.end())
      ms.push_back(std::max(0.0, absl::ToDoubleMilliseconds(it->second - at)));
  }
  std::cout << absl::StrFormat(
      "delivery receipt -> event on an idle subscriber, %d signals at %d/s: "
      "%zu delivered; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      count, rate, ms.size(), Percentile(ms, 0.5), Percentile(ms, 0.9),
      Percentile(ms, 0.99), Percentile(ms, 1.0));
  return ms.size() == receipts.size() ? 0 : 1;
}

int Stall(const std::string& hub, const std::string& pki, int seconds) {
  auto channel =
      *ketenhub::MakeHubChannel(OptionsFor(hub, pki, "ketenregisseur"));
  auto stub = ketenhub::v1::ChainDirectorService::NewStub(channel);
  grpc::ClientContext context;
  ketenhub::v1::SubscribeRequest request;
  request.set_from_cursor(0);
  auto reader = stub->Subscribe(&context, request);  // never read
  std::cerr << "stalled subscriber connected; not reading for " << seconds
            << " s\n";
  absl::SleepFor(absl::Seconds(seconds));
  context.TryCancel();
  return 0;
}

// Reads the stream from the start, without acking, until `count` events
// arrived: how fast a chain director who was away catches up. Every
// delivery is audited by the hub before it leaves.
int CatchUp(const std::string& hub, const std::string& pki, int count) {
  auto channel =
      *ketenhub::MakeHubChannel(OptionsFor(hub, pki, "ketenregisseur"));
  auto stub = ketenhub::v1::ChainDirectorService::NewStub(channel);
  grpc::ClientContext context;
  ketenhub::v1::SubscribeRequest request;
  request.set_from_cursor(0);
  const absl::Time start = absl::Now();
  auto reader = stub->Subscribe(&context, request);
  ketenhub::v1::Event event;
  int events = 0;
  absl::Time first;
  while (events < count && reader->Read(&event)) {
    if (events++ == 0) first = absl::Now();
  }
  const absl::Time end = absl::Now();
  context.TryCancel();
  const grpc::Status status = reader->Finish();
  if (events < count) {
    std::cerr << absl::StrFormat(
        "catch-up: the stream ended after %d of %d events: %s\n", events, count,
        status.error_message());
    return 1;
  }
  const double seconds = absl::ToDoubleSeconds(end - start);
  std::cout << absl::StrFormat(
      "catch-up from cursor 0: %d events in %.1f s, %.0f events/s (first "
      "event after %.1f ms)\n",
      events, seconds, events / seconds,
      absl::ToDoubleMilliseconds(first - start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ketenhub_stream_bench: chain-director stream latency and "
      "stalled-subscriber memory"};
  std::string hub = "127.0.0.1:50051", pki = "var/dev-pki";
  int count = 2000, rate = 200, seconds = 30;
  app.add_option("--hub", hub)->capture_default_str();
  app.add_option("--pki-dir", pki)->capture_default_str();
  app.require_subcommand(1);
  CLI::App* latency = app.add_subcommand("latency", "receipt-to-event latency");
  latency->add_option("--count", count)->capture_default_str();
  latency->add_option("--rate", rate, "signals per second")
      ->capture_default_str();
  CLI::App* stall =
      app.add_subcommand("stall", "hold a stream open without reading");
  stall->add_option("--seconds", seconds)->capture_default_str();
  CLI::App* catchup =
      app.add_subcommand("catchup", "read the backlog from the start");
  catchup->add_option("--count", count, "events to read")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  gpr_set_log_function([](gpr_log_func_args*) {});
  if (rate < 1 || count < 1) return 2;
  if (*latency) return Latency(hub, pki, count, rate);
  if (*catchup) return CatchUp(hub, pki, count);
  return Stall(hub, pki, seconds);
}
