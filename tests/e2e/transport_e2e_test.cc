// The hub's transport against peers that misbehave without meaning to: a
// chain director whose network goes silent mid-stream, a connection that
// never finishes its TLS handshake, callers whose deadlines pass.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/chain_director.grpc.pb.h"
#include "ketenhub/v1/signal.grpc.pb.h"
#include "server/common/text_proto.h"
#include "server/service/hub.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

// Opens a Subscribe stream that the hub ends at `deadline` if it serves it;
// returns how it ended.
grpc::StatusCode TrySubscribe(v1::ChainDirectorService::Stub& stub,
                              std::chrono::milliseconds deadline) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  auto stream = stub.Subscribe(&context, v1::SubscribeRequest());
  v1::Event event;
  while (stream->Read(&event)) {
  }
  return stream->Finish().error_code();
}

TEST(TransportE2eTest, KeepaliveFreesTheStreamOfAChainDirectorGoneSilent) {
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.set_policy_file(testing::ExamplePolicyWith(
      dir, {{"max_streams_per_partner: 4", "max_streams_per_partner: 1"}}));
  config.mutable_transport()->set_keepalive_time_seconds(1);
  config.mutable_transport()->set_keepalive_timeout_seconds(1);
  auto hub = Hub::Start(config);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const int hub_port = (*hub)->port();
  auto politie =
      *SignalClient::Connect(testing::ClientOptionsFor("politie", hub_port));
  ASSERT_TRUE(politie->Submit(testing::ValidSignal("k1")).ok());

  // The chain director's laptop follows the stream through a network that
  // will go silent; the hub allows one stream per partner.
  testing::TcpProxy network(hub_port);
  auto laptop = v1::ChainDirectorService::NewStub(*MakeHubChannel(
      testing::ClientOptionsFor("ketenregisseur", network.port())));
  grpc::ClientContext laptop_context;
  auto laptop_stream =
      laptop->Subscribe(&laptop_context, v1::SubscribeRequest());
  v1::Event first;
  ASSERT_TRUE(laptop_stream->Read(&first));  // the stream is up
  std::thread laptop_reader([&] {
    v1::Event event;
    while (laptop_stream->Read(&event)) {
    }
  });
  network.GoSilent();

  auto desk = v1::ChainDirectorService::NewStub(
      *MakeHubChannel(testing::ClientOptionsFor("ketenregisseur", hub_port)));
  EXPECT_EQ(TrySubscribe(*desk, std::chrono::milliseconds(300)),
            grpc::StatusCode::RESOURCE_EXHAUSTED);  // the silent one holds it
  // Within a few keepalive rounds the hub drops the silent connection, and
  // the stream place is free again.
  grpc::StatusCode code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  for (int attempt = 0;
       attempt < 40 && code == grpc::StatusCode::RESOURCE_EXHAUSTED;
       ++attempt) {
    code = TrySubscribe(*desk, std::chrono::milliseconds(300));
    if (code == grpc::StatusCode::RESOURCE_EXHAUSTED)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(code, grpc::StatusCode::DEADLINE_EXCEEDED);  // served

  laptop_context.TryCancel();
  laptop_reader.join();
  (*hub)->Shutdown();
}

TEST(TransportE2eTest, AConnectionThatNeverHandshakesIsDropped) {
  testing::TempDir dir;
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.mutable_transport()->set_handshake_timeout_seconds(1);
  auto hub = Hub::Start(config);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>((*hub)->port()));
  ASSERT_EQ(
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  // Say nothing. The hub closes the connection after its handshake timeout
  // (gRPC's default would wait two minutes).
  pollfd entry{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&entry, 1, /*timeout_ms=*/15000), 1)
      << "the hub kept a silent connection open";
  char byte;
  EXPECT_LE(::read(fd, &byte, 1), 0);  // end of stream (or reset)
  ::close(fd);
  (*hub)->Shutdown();
}

// A caller whose deadline passes mid-call may or may not have had its signal
// stored; a retry with the same client_ref settles it, never twice.
TEST(TransportE2eTest, SubmitsPastTheirDeadlineAreStoredAtMostOnce) {
  testing::TestHub hub;
  auto stub = hub.Stub("politie");
  constexpr int kSignals = 40;
  int expired = 0;
  for (int i = 0; i < kSignals; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::microseconds(300 + 50 * i));
    v1::SubmitRequest request;
    *request.mutable_signal() = testing::ValidSignal(absl::StrCat("d", i));
    v1::Receipt receipt;
    const grpc::Status status = stub->Submit(&context, request, &receipt);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) ++expired;
    EXPECT_TRUE(status.ok() ||
                status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_message();
  }
  EXPECT_GT(expired, 0);
  auto client = hub.Client("politie", /*max_attempts=*/3);
  std::set<std::string> ids;
  for (int i = 0; i < kSignals; ++i) {
    auto receipt = client->Submit(testing::ValidSignal(absl::StrCat("d", i)));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.insert(receipt->signal_id());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSignals));
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), kSignals);
}

}  // namespace
}  // namespace ketenhub
