// nats_publish: the peer comparison's publisher for NATS JetStream (Debian's
// libnats, over TLS with a client certificate). Publishes --count messages of
// --size bytes to a file-storage stream, keeping --in-flight unacknowledged,
// and prints throughput and ack latency the way ketenhub_submit_load does.
// Built by bench/compare-peers.sh; not part of the hub's build.
//
//   nats_publish --url tls://127.0.0.1:4223 --ca ca.pem --cert c.pem
//                --key c-key.pem --in-flight 64 --count 100000 --json
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string url = "tls://127.0.0.1:4222";
  std::string ca, cert, key;
  int in_flight = 64;
  int count = 100000;
  int size = 1024;
  bool json = false;
};

// Each payload starts with its index and its send time, so the ack handler
// can time it without a lookup.
struct Stamp {
  int64_t index;
  int64_t sent_ns;
};

std::vector<int64_t> latencies_ns;
std::atomic<int> acked{0};
std::atomic<int> errors{0};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void*) {
  Stamp stamp;
  std::memcpy(&stamp, natsMsg_GetData(msg), sizeof(stamp));
  if (ack != nullptr && error == nullptr) {
    latencies_ns[stamp.index] = NowNs() - stamp.sent_ns;
    acked.fetch_add(1);
  } else {
    errors.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

bool Check(natsStatus s, const char* what) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "nats_publish: %s: %s\n", what, natsStatus_GetText(s));
  return false;
}

int Usage() {
  std::fprintf(stderr,
               "usage: nats_publish --url tls://HOST:PORT --ca CA --cert CERT "
               "--key KEY [--in-flight N] [--count N] [--size BYTES] "
               "[--json]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--json") {
      flags.json = true;
    } else if (arg == "--help" || arg == "-h" || !has_value) {
      return Usage();
    } else if (arg == "--url") {
      flags.url = argv[++i];
    } else if (arg == "--ca") {
      flags.ca = argv[++i];
    } else if (arg == "--cert") {
      flags.cert = argv[++i];
    } else if (arg == "--key") {
      flags.key = argv[++i];
    } else if (arg == "--in-flight") {
      flags.in_flight = std::atoi(argv[++i]);
    } else if (arg == "--count") {
      flags.count = std::atoi(argv[++i]);
    } else if (arg == "--size") {
      flags.size = std::atoi(argv[++i]);
    } else {
      return Usage();
    }
  }
  if (flags.in_flight < 1 || flags.count < 1 ||
      flags.size < static_cast<int>(sizeof(Stamp))) {
    return Usage();
  }
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  if (!Check(natsOptions_Create(&options), "options") ||
      !Check(natsOptions_SetURL(options, flags.url.c_str()), "url") ||
      !Check(natsOptions_SetSecure(options, true), "tls") ||
      !Check(natsOptions_LoadCATrustedCertificates(options, flags.ca.c_str()),
             "CA") ||
      !Check(natsOptions_LoadCertificatesChain(options, flags.cert.c_str(),
                                               flags.key.c_str()),
             "client certificate") ||
      !Check(natsConnection_Connect(&connection, options), "connect")) {
    return 1;
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.MaxPending = flags.in_flight;
  js_options.PublishAsync.AckHandler = OnAck;
  if (!Check(natsConnection_JetStream(&js, connection, &js_options), "js")) {
    return 1;
  }
  jsStreamConfig stream;
  jsStreamConfig_Init(&stream);
  stream.Name = "signals";
  const char* subjects[] = {"signals"};
  stream.Subjects = subjects;
  stream.SubjectsLen = 1;
  stream.Storage = js_FileStorage;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(nullptr, js, &stream, nullptr, &js_error);
  if (s != NATS_OK && js_error != JSStreamNameExistErr) {
    Check(s, "create stream");
    return 1;
  }

  latencies_ns.assign(flags.count, 0);
  std::vector<char> payload(flags.size, 'p');
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < flags.count; ++i) {
    const Stamp stamp{i, NowNs()};
    std::memcpy(payload.data(), &stamp, sizeof(stamp));
    if (flags.in_flight == 1) {  // one at a time: wait for each ack
      jsPubAck* ack = nullptr;
      if (js_Publish(&ack, js, "signals", payload.data(), flags.size, nullptr,
                     nullptr) == NATS_OK) {
        latencies_ns[i] = NowNs() - stamp.sent_ns;
        acked.fetch_add(1);
        jsPubAck_Destroy(ack);
      } else {
        errors.fetch_add(1);
      }
      continue;
    }
    if (js_PublishAsync(js, "signals", payload.data(), flags.size, nullptr) !=
        NATS_OK) {
      errors.fetch_add(1);
    }
  }
  if (flags.in_flight > 1) {
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = 60000;
    Check(js_PublishAsyncComplete(js, &wait), "waiting for acks");
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<int64_t> sorted;
  for (int64_t ns : latencies_ns) {
    if (ns > 0) sorted.push_back(ns);
  }
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    if (sorted.empty()) return 0.0;
    return sorted[std::min(sorted.size() - 1,
                           static_cast<size_t>(p * sorted.size()))] /
           1e6;
  };
  const int ok = acked.load();
  if (flags.json) {
    std::printf(
        "{\"in_flight\":%d,\"ok\":%d,\"errors\":%d,\"seconds\":%.3f,"
        "\"per_second\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"max_ms\":%.3f}\n",
        flags.in_flight, ok, errors.load(), seconds, ok / seconds, pct(0.5),
        pct(0.9), pct(0.99), pct(1.0));
  } else {
    std::printf(
        "%d in flight: %d acknowledged publishes in %.2f s = %.0f/s; latency "
        "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %d errors\n",
        flags.in_flight, ok, seconds, ok / seconds, pct(0.5), pct(0.9),
        pct(0.99), pct(1.0), errors.load());
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  natsOptions_Destroy(options);
  nats_Close();
  return errors.load() == 0 ? 0 : 1;
}
