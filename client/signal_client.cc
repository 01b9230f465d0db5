#include "client/signal_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client_certificate.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/audit/checkpoint.h"
#include "server/audit/merkle.h"

namespace ketenhub {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view what,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

std::string NewClientRef() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::StrCat(
      "kh-", absl::BytesToHexString(absl::string_view(
                 reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

namespace {

// Adds the acting person's headers to every call of a channel.
class ActingPersonPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit ActingPersonPlugin(const ClientOptions& options)
      : id_(options.user_id),
        role_(options.user_role),
        name_(options.user_name) {}

  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "keten-user"; }

  grpc::Status GetMetadata(
      grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
      std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->emplace("keten-user", id_);
    metadata->emplace("keten-user-role", role_);
    if (!name_.empty()) metadata->emplace("keten-user-name", name_);
    return grpc::Status::OK;
  }

 private:
  const std::string id_, role_, name_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeHubChannel(
    const ClientOptions& options) {
  if (!options.user_id.empty() && options.user_role.empty()) {
    return absl::InvalidArgumentError(
        "user_role: required with user_id (the person's function)");
  }
  if (options.user_id.empty() &&
      !(options.user_role.empty() && options.user_name.empty())) {
    return absl::InvalidArgumentError(
        "user_id: required with user_role or user_name");
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> cert = ReadPem("certificate", options.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("private key", options.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem("CA certificate", options.ca_file);
  if (!ca.ok()) return ca.status();
  if (absl::Status usable = CheckClientCertificate(
          *cert, options.cert_file, *key, options.key_file, *ca,
          options.ca_file, absl::Now());
      !usable.ok()) {
    return usable;
  }
  ssl.pem_cert_chain = *std::move(cert);
  ssl.pem_private_key = *std::move(key);
  ssl.pem_root_certs = *std::move(ca);
  grpc::ChannelArguments args;
  args.SetInt("ketenhub.channel_id", options.channel_id);
  // Reconnect on gRPC's side as soon as CallWithRetries tries again: with
  // gRPC's default (1 s, growing) a failed connect makes every retry within
  // that second fail at once with the same error. (The minimum, which is
  // also the connect timeout, stays at gRPC's 20 s.)
  args.SetInt(
      GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.initial_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.max_backoff)));
  // Notice a hub that went away without closing (a network that dropped)
  // within half a minute, also on a stream with nothing to say.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(ssl);
  if (!options.user_id.empty()) {
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::MetadataCredentialsFromPlugin(
                         std::make_unique<ActingPersonPlugin>(options)));
  }
  return grpc::CreateCustomChannel(options.target, credentials, args);
}

absl::Status CallWithRetries(
    const ClientOptions& options,
    const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  absl::BitGen random;
  absl::Duration backoff = options.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + options.attempt_deadline));
    const absl::Status status = FromGrpcStatus(call(&context));
    if (status.ok() || !IsRetryable(status) ||
        attempt >= options.max_attempts) {
      return status;
    }
    // Equal jitter: half the backoff, plus a random part of the other half.
    absl::SleepFor(backoff / 2 +
                   absl::Uniform(random, 0.0, 1.0) * (backoff / 2));
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

absl::StatusOr<std::unique_ptr<SignalClient>> SignalClient::Connect(
    const SignalClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeHubChannel(options);
  if (!channel.ok()) return channel.status();
  std::string key;
  if (!options.audit_public_key_file.empty()) {
    absl::StatusOr<std::string> pem =
        ReadPem("audit_public_key_file", options.audit_public_key_file);
    if (!pem.ok()) return pem.status();
    if (absl::StatusOr<std::string> id = CheckpointKeyId(*pem); !id.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("audit_public_key_file: ", options.audit_public_key_file,
                       " is not an Ed25519 public key (PEM)"));
    }
    key = *std::move(pem);
  }
  return std::unique_ptr<SignalClient>(
      new SignalClient(options, *std::move(channel), std::move(key)));
}

SignalClient::SignalClient(const SignalClientOptions& options,
                           std::shared_ptr<grpc::Channel> channel,
                           std::string audit_public_key)
    : options_(options),
      stub_(v1::SignalService::NewStub(channel)),
      audit_public_key_(std::move(audit_public_key)) {}

absl::StatusOr<v1::Receipt> SignalClient::Submit(v1::Signal signal) {
  v1::SubmitRequest request;
  if (signal.client_ref().empty()) signal.set_client_ref(NewClientRef());
  *request.mutable_signal() = std::move(signal);
  v1::Receipt receipt;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->Submit(context, request, &receipt);
      });
  if (!status.ok()) return status;
  if (receipt.has_checkpoint()) Observe(receipt.checkpoint());
  return receipt;
}

std::optional<v1::SignedCheckpoint> SignalClient::NewestCheckpoint() const {
  absl::MutexLock lock(&checkpoint_mu_);
  return newest_;
}

absl::Status SignalClient::CheckpointContinuity() const {
  absl::MutexLock lock(&checkpoint_mu_);
  return continuity_;
}

void SignalClient::Remember(const v1::SignedCheckpoint& checkpoint) {
  Observe(checkpoint);
  absl::MutexLock lock(&checkpoint_mu_);
  if (!proven_.has_value() || checkpoint.tree_size() > proven_->tree_size()) {
    proven_ = checkpoint;
  }
}

absl::Status SignalClient::VerifyContinuity() {
  std::optional<v1::SignedCheckpoint> base, newest;
  {
    absl::MutexLock lock(&checkpoint_mu_);
    if (!continuity_.ok()) return continuity_;
    if (!proven_.has_value()) proven_ = newest_;
    base = proven_;
    newest = newest_;
  }
  if (!base.has_value() || base->tree_size() == newest->tree_size())
    return absl::OkStatus();  // Observe compared the roots
  v1::GetConsistencyProofRequest request;
  request.set_old_size(base->tree_size());
  request.set_new_size(newest->tree_size());
  v1::ConsistencyProof proof;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetConsistencyProof(context, request, &proof);
      });
  if (!status.ok() && !absl::IsInvalidArgument(status)) return status;
  if (status.ok()) {
    std::vector<std::string> hashes(proof.hashes().begin(),
                                    proof.hashes().end());
    status = merkle::VerifyConsistency(base->tree_size(), newest->tree_size(),
                                       base->root_hash(), newest->root_hash(),
                                       hashes);
  }
  absl::MutexLock lock(&checkpoint_mu_);
  if (!status.ok()) {
    continuity_ = absl::DataLossError(
        absl::StrCat("the hub's audit trail of ", newest->tree_size(),
                     " records does not extend the one of ", base->tree_size(),
                     " it signed before (rolled back and regrown, or forked): ",
                     status.message()));
    return continuity_;
  }
  if (newest->tree_size() > proven_->tree_size()) proven_ = newest;
  return absl::OkStatus();
}

void SignalClient::Observe(const v1::SignedCheckpoint& checkpoint) {
  absl::Status signed_by_hub =
      audit_public_key_.empty()
          ? absl::OkStatus()
          : VerifyCheckpoint(checkpoint, audit_public_key_);
  absl::MutexLock lock(&checkpoint_mu_);
  if (!signed_by_hub.ok()) {
    if (continuity_.ok()) {
      continuity_ = absl::DataLossError(
          absl::StrCat("a checkpoint of ", checkpoint.tree_size(),
                       " records does not carry the hub's audit signature: ",
                       signed_by_hub.message()));
    }
    return;
  }
  if (newest_.has_value()) {
    if (checkpoint.tree_size() < newest_->tree_size() && continuity_.ok()) {
      continuity_ = absl::DataLossError(absl::StrCat(
          "the hub's audit trail was rolled back: it signed a tree of ",
          newest_->tree_size(), " records before, now one of ",
          checkpoint.tree_size()));
    } else if (checkpoint.tree_size() == newest_->tree_size() &&
               checkpoint.root_hash() != newest_->root_hash() &&
               continuity_.ok()) {
      continuity_ = absl::DataLossError(absl::StrCat(
          "the hub's audit trail forked: two checkpoints of ",
          checkpoint.tree_size(), " records with different roots"));
    }
    if (checkpoint.tree_size() <= newest_->tree_size()) return;
  }
  newest_ = checkpoint;
}

namespace {

// A SubmitBatch message holds at most this many signals, and stops growing
// once this many bytes are in it (the hub accepts 256 KiB by default).
constexpr int kMaxSignalsPerMessage = 64;
constexpr size_t kMaxBytesPerMessage = 128 * 1024;

// One SubmitBatch stream over the signals at `todo` (positions in
// `signals`). Fills `results` for each answered signal, except that those
// the submit rate turned away go to `rate_limited` with the longest wait in
// `wait`. Returns the stream's final status and the positions without an
// answer in `unanswered`.
absl::Status SubmitBatchOnce(v1::SignalService::Stub& stub,
                             const std::vector<v1::Signal>& signals,
                             const std::vector<size_t>& todo,
                             std::vector<absl::StatusOr<v1::Receipt>>& results,
                             std::vector<size_t>& unanswered,
                             std::vector<size_t>& rate_limited,
                             absl::Duration& wait, size_t& answered,
                             const SignalClient::BatchProgress& progress) {
  grpc::ClientContext context;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::SubmitBatchRequest, v1::SubmitBatchResponse>>
      stream = stub.SubmitBatch(&context);
  std::thread writer([&] {
    v1::SubmitBatchRequest message;
    size_t bytes = 0;
    for (size_t position : todo) {
      *message.add_requests()->mutable_signal() = signals[position];
      bytes += signals[position].ByteSizeLong();
      if (message.requests_size() >= kMaxSignalsPerMessage ||
          bytes >= kMaxBytesPerMessage) {
        if (!stream->Write(message)) return;
        message.Clear();
        bytes = 0;
      }
    }
    if (message.requests_size() > 0 && !stream->Write(message)) return;
    stream->WritesDone();
  });
  std::vector<bool> done(todo.size(), false);
  v1::SubmitBatchResponse response;
  while (stream->Read(&response)) {
    for (v1::SubmitResult& result : *response.mutable_results()) {
      if (result.index() >= todo.size() || done[result.index()]) continue;
      done[result.index()] = true;
      const size_t position = todo[result.index()];
      const auto code = static_cast<absl::StatusCode>(result.code());
      if (code == absl::StatusCode::kResourceExhausted &&
          result.retry_after_ms() > 0) {
        rate_limited.push_back(position);
        wait = std::max(wait, absl::Milliseconds(result.retry_after_ms()));
        continue;
      }
      if (code == absl::StatusCode::kOk) {
        results[position] = std::move(*result.mutable_receipt());
      } else {
        results[position] = absl::Status(code, result.message());
      }
      ++answered;
      if (progress) progress(answered, signals.size());
    }
  }
  // The hub has ended the stream: a Write still waiting fails, so the writer
  // ends. Finish only once nothing more will be written.
  writer.join();
  const absl::Status status = FromGrpcStatus(stream->Finish());
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!done[i]) unanswered.push_back(todo[i]);
  }
  if (status.ok() && !unanswered.empty()) {
    return absl::UnavailableError("the hub ended the stream early");
  }
  return status;
}

}  // namespace

std::vector<absl::StatusOr<v1::Receipt>> SignalClient::SubmitBatch(
    std::vector<v1::Signal> signals, const BatchProgress& progress) {
  std::vector<absl::StatusOr<v1::Receipt>> results(
      signals.size(), absl::UnavailableError("not sent"));
  std::vector<size_t> todo(signals.size());
  for (size_t i = 0; i < signals.size(); ++i) {
    if (signals[i].client_ref().empty())
      signals[i].set_client_ref(NewClientRef());
    todo[i] = i;
  }
  absl::BitGen random;
  absl::Duration backoff = options_.initial_backoff;
  int attempts_without_progress = 0;
  size_t answered = 0;
  while (!todo.empty()) {
    std::vector<size_t> unanswered, rate_limited;
    absl::Duration wait;
    const size_t answered_before = answered;
    const absl::Status status =
        SubmitBatchOnce(*stub_, signals, todo, results, unanswered,
                        rate_limited, wait, answered, progress);
    const bool progressed = answered > answered_before || !rate_limited.empty();
    attempts_without_progress = progressed ? 0 : attempts_without_progress + 1;
    if (!status.ok()) {
      if (!IsRetryable(status) ||
          attempts_without_progress >= options_.max_attempts) {
        for (size_t position : unanswered) results[position] = status;
        for (size_t position : rate_limited) {
          results[position] = absl::ResourceExhaustedError(
              "the partner's submit rate is exhausted; send again later");
        }
        break;
      }
      wait = std::max(
          wait, backoff / 2 + absl::Uniform(random, 0.0, 1.0) * (backoff / 2));
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = options_.initial_backoff;
    }
    todo = std::move(unanswered);
    todo.insert(todo.end(), rate_limited.begin(), rate_limited.end());
    std::sort(todo.begin(), todo.end());
    if (!todo.empty()) absl::SleepFor(wait);
  }
  for (const absl::StatusOr<v1::Receipt>& result : results) {
    if (result.ok() && result->has_checkpoint()) Observe(result->checkpoint());
  }
  return results;
}

absl::StatusOr<v1::SignalStatus> SignalClient::GetStatus(
    absl::string_view signal_id) {
  v1::GetStatusRequest request;
  request.set_signal_id(std::string(signal_id));
  v1::SignalStatus response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->GetStatus(context, request, &response);
      });
  if (!status.ok()) return status;
  if (response.has_checkpoint()) Observe(response.checkpoint());
  return response;
}

absl::StatusOr<v1::SignalStatus> SignalClient::Withdraw(
    absl::string_view signal_id, absl::string_view reason) {
  v1::WithdrawRequest request;
  request.set_signal_id(std::string(signal_id));
  request.set_reason(std::string(reason));
  v1::SignalStatus response;
  absl::Status status =
      CallWithRetries(options_, [&](grpc::ClientContext* context) {
        return stub_->Withdraw(context, request, &response);
      });
  if (!status.ok()) return status;
  return response;
}

}  // namespace ketenhub
