// ketenhub_submit_load: drives a running hub with realistic ~1 KB signals
// from the four dev partners and prints throughput and latency.
//
//   ketenhub_submit_load --hub 127.0.0.1:50051 --in-flight 64 --count 20000
//   ketenhub_submit_load --batch 32 --in-flight 2048 --count 200000
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpc/support/log.h"
#include "grpcpp/create_channel.h"
#include "ketenhub/v1/signal.grpc.pb.h"
#include "server/common/text_proto.h"

namespace {

const std::vector<std::string> kPartners = {"politie", "ggd", "veilig-thuis",
                                            "gemeente-hilversum"};

struct Flags {
  std::string hub = "127.0.0.1:50051";
  std::string pki_dir = "var/dev-pki";
  int in_flight = 64;
  int count = 20000;
  int connections = 4;
  int batch = 0;  // signals per SubmitBatch message; 0: unary Submit
  bool json = false;
  std::vector<std::string> partners = kPartners;  // rotated over connections
};
// The i-th valid BSN above 100000000 (11-proef), for a pool of distinct
// (fictitious) persons.
std::string PoolBsn(int i) {
  for (int64_t base = 10000000 + static_cast<int64_t>(i) * 7;; ++base) {
    const std::string head = std::to_string(base);  // 8 digits
    int sum = 0;
    for (int k = 0; k < 8; ++k) sum += (9 - k) * (head[k] - '0');
    if (sum % 11 < 10) return head + std::to_string(sum % 11);
  }
}

ketenhub::v1::SubmitRequest MakeRequest(const std::string& run, int i) {
  ketenhub::v1::SubmitRequest request;
  ketenhub::v1::Signal* s = request.mutable_signal();
  s->set_client_ref(absl::StrCat("load-", run, "-", i));
  s->set_category(
      ketenhub::v1::CATEGORY_SEXUAL_EXPLOITATION);  // every partner may
  s->set_urgency(ketenhub::v1::URGENCY_ROUTINE);
  // About one signal in four concerns a person someone else also signalled.
  s->mutable_subject()->set_bsn(PoolBsn(i % 4 == 0 ? i % 500 : i));
  s->set_municipality("GM0402");
  s->mutable_observed_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) -
                                        86400);
  s->set_summary(std::string(400, 's'));
  ketenhub::v1::Section* section = s->add_sections();
  section->set_kind(ketenhub::v1::DATA_KIND_GENERAL);
  section->set_title("Situatie");
  section->set_text(std::string(400, 't'));
  s->set_legal_basis("Convenant Zorg- en Veiligheidshuis");
  s->mutable_contact()->set_name("Load Generator");
  s->mutable_contact()->set_phone("+31 00 000 0000");
  return request;
}

std::unique_ptr<ketenhub::v1::SignalService::Stub> StubFor(
    const Flags& flags, const std::string& partner, int connection) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_cert_chain =
      ketenhub::ReadFileToString(flags.pki_dir + "/" + partner + ".pem")
          .value_or("");
  ssl.pem_private_key =
      ketenhub::ReadFileToString(flags.pki_dir + "/" + partner + "-key.pem")
          .value_or("");
  ssl.pem_root_certs =
      ketenhub::ReadFileToString(flags.pki_dir + "/ca.pem").value_or("");
  grpc::ChannelArguments args;
  args.SetInt("ketenhub.connection", connection);
  return ketenhub::v1::SignalService::NewStub(
      grpc::CreateCustomChannel(flags.hub, grpc::SslCredentials(ssl), args));
}

// What a run measured: one latency per receipt, and the errors.
class Tally {
 public:
  explicit Tally(int count) { latencies_.reserve(count); }

  void Add(absl::Duration latency) {
    std::lock_guard<std::mutex> lock(mu_);
    latencies_.push_back(latency);
  }
  void AddError(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (errors_++ == 0) first_error_ = message;
  }

  void Report(const Flags& flags, absl::Duration elapsed) {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      if (latencies_.empty()) return 0.0;
      return absl::ToDoubleMilliseconds(latencies_[std::min(
          latencies_.size() - 1, static_cast<size_t>(p * latencies_.size()))]);
    };
    const double seconds = absl::ToDoubleSeconds(elapsed);
    const double rate = latencies_.size() / seconds;
    const std::string mode =
        flags.batch > 0 ? absl::StrCat("batch", flags.batch) : "unary";
    if (flags.json) {
      std::cout << absl::StrFormat(
          "{\"mode\":\"%s\",\"in_flight\":%d,\"connections\":%d,"
          "\"ok\":%d,\"errors\":%d,\"seconds\":%.3f,\"per_second\":%.0f,"
          "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
          mode, flags.in_flight, flags.connections,
          static_cast<int>(latencies_.size()), errors_, seconds, rate,
          pct(0.50), pct(0.90), pct(0.99), pct(1.0));
      return;
    }
    std::cout << absl::StrFormat(
        "%s%d in flight over %d connections: %d durable receipts in %.2f s = "
        "%.0f signals/s; "
        "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %d "
        "errors\n",
        flags.batch > 0
            ? absl::StrFormat("SubmitBatch (%d per message), ", flags.batch)
            : "",
        flags.in_flight, flags.connections, static_cast<int>(latencies_.size()),
        seconds, rate, pct(0.50), pct(0.90), pct(0.99), pct(1.0), errors_);
    if (!first_error_.empty())
      std::cout << "first error: " << first_error_ << "\n";
  }

 private:
  std::mutex mu_;
  std::vector<absl::Duration> latencies_;
  int errors_ = 0;
  std::string first_error_;
};

// Keeps `in_flight` unary submits outstanding until `count` have completed.
class Load {
 public:
  Load(const Flags& flags, Tally* tally)
      : flags_(flags),
        tally_(tally),
        run_(absl::StrCat(absl::ToUnixNanos(absl::Now()))) {
    for (int c = 0; c < flags.connections; ++c) {
      stubs_.push_back(
          StubFor(flags, flags.partners[c % flags.partners.size()], c));
    }
  }

  absl::Duration Run() {
    const absl::Time start = absl::Now();
    for (int i = 0; i < std::min(flags_.in_flight, flags_.count); ++i) Issue();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return completed_ == flags_.count; });
    return absl::Now() - start;
  }

 private:
  struct Call {
    grpc::ClientContext context;
    ketenhub::v1::SubmitRequest request;
    ketenhub::v1::Receipt receipt;
    absl::Time started;
  };

  void Issue() {
    const int i = issued_.fetch_add(1);
    if (i >= flags_.count) return;
    auto* call = new Call;
    call->request = MakeRequest(run_, i);
    call->context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    call->started = absl::Now();
    stubs_[i % stubs_.size()]->async()->Submit(
        &call->context, &call->request, &call->receipt,
        [this, call](grpc::Status status) { Done(call, status); });
  }

  void Done(Call* call, const grpc::Status& status) {
    const absl::Duration latency = absl::Now() - call->started;
    delete call;
    if (status.ok()) {
      tally_->Add(latency);
    } else {
      tally_->AddError(status.error_message());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (++completed_ == flags_.count) cv_.notify_all();
    }
    Issue();
  }

  const Flags flags_;
  Tally* const tally_;
  const std::string run_;
  std::vector<std::unique_ptr<ketenhub::v1::SignalService::Stub>> stubs_;
  std::atomic<int> issued_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int completed_ = 0;
};

// One SubmitBatch stream per connection, each keeping its share of
// `in_flight` signals outstanding in messages of `batch` signals; a signal's
// latency runs from writing its message to reading its result.
class BatchLoad {
 public:
  BatchLoad(const Flags& flags, Tally* tally)
      : flags_(flags),
        tally_(tally),
        run_(absl::StrCat(absl::ToUnixNanos(absl::Now()))) {}

  absl::Duration Run() {
    const absl::Time start = absl::Now();
    std::vector<std::thread> streams;
    for (int c = 0; c < flags_.connections; ++c) {
      const int first = static_cast<int>(static_cast<int64_t>(flags_.count) *
                                         c / flags_.connections);
      const int last = static_cast<int>(static_cast<int64_t>(flags_.count) *
                                        (c + 1) / flags_.connections);
      streams.emplace_back([this, c, first, last] { Stream(c, first, last); });
    }
    for (std::thread& stream : streams) stream.join();
    return absl::Now() - start;
  }

 private:
  // Submits signals [first, last) on connection `c`.
  void Stream(int c, int first, int last) {
    auto stub = StubFor(flags_, flags_.partners[c % flags_.partners.size()], c);
    const int window =
        std::max(flags_.batch, flags_.in_flight / flags_.connections);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(30)));
    auto stream = stub->SubmitBatch(&context);
    std::vector<absl::Time> sent(last - first);
    std::mutex mu;
    std::condition_variable room;
    int outstanding = 0;
    std::thread writer([&] {
      for (int i = first; i < last;) {
        const int n = std::min(flags_.batch, last - i);
        {
          std::unique_lock<std::mutex> lock(mu);
          room.wait(lock, [&] { return outstanding + n <= window; });
          outstanding += n;
        }
        ketenhub::v1::SubmitBatchRequest message;
        for (int k = 0; k < n; ++k) {
          *message.add_requests() = MakeRequest(run_, i + k);
        }
        const absl::Time now = absl::Now();
        for (int k = 0; k < n; ++k) sent[i - first + k] = now;
        if (!stream->Write(message)) return;
        i += n;
      }
      stream->WritesDone();
    });
    ketenhub::v1::SubmitBatchResponse response;
    while (stream->Read(&response)) {
      const absl::Time now = absl::Now();
      for (const ketenhub::v1::SubmitResult& result : response.results()) {
        if (result.code() == 0) {
          tally_->Add(now - sent[result.index()]);
        } else {
          tally_->AddError(result.message());
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      outstanding -= response.results_size();
      room.notify_one();
    }
    const grpc::Status status = stream->Finish();
    if (!status.ok()) tally_->AddError(status.error_message());
    {  // a writer still waiting for room must not wait forever
      std::lock_guard<std::mutex> lock(mu);
      outstanding = -window;
      room.notify_one();
    }
    writer.join();
  }

  const Flags flags_;
  Tally* const tally_;
  const std::string run_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ketenhub_submit_load: submit throughput and latency of a running hub"};
  Flags flags;
  app.add_option("--hub", flags.hub, "hub address")->capture_default_str();
  app.add_option("--pki-dir", flags.pki_dir,
                 "dev PKI with the partner certificates")
      ->capture_default_str();
  app.add_option("--in-flight", flags.in_flight, "concurrent submits")
      ->capture_default_str();
  app.add_option("--count", flags.count, "signals to submit")
      ->capture_default_str();
  app.add_option("--connections", flags.connections,
                 "TLS connections (partners rotate)")
      ->capture_default_str();
  app.add_option("--batch", flags.batch,
                 "SubmitBatch streams with this many signals per message "
                 "(0: unary Submit)")
      ->capture_default_str();
  app.add_flag("--json", flags.json, "one JSON object instead of a sentence");
  app.add_option("--partners", flags.partners,
                 "dev partners to submit as, comma-separated")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  gpr_set_log_function([](gpr_log_func_args*) {});
  if (flags.in_flight < 1 || flags.count < 1 || flags.connections < 1 ||
      flags.batch < 0) {
    std::cerr << "--in-flight, --count and --connections must be at least 1, "
                 "--batch at least 0\n";
    return 2;
  }
  Tally tally(flags.count);
  absl::Duration elapsed;
  if (flags.batch > 0) {
    elapsed = BatchLoad(flags, &tally).Run();
  } else {
    elapsed = Load(flags, &tally).Run();
  }
  tally.Report(flags, elapsed);
  return 0;
}
