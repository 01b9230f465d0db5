// The hub's TLS as a raw OpenSSL client sees it: TLS 1.2 and 1.3 with
// strong AEAD suites only; for old protocols and weak suites the hub ends
// the handshake. The client is set to allow everything, so a refusal is the
// hub's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/chain_director.grpc.pb.h"
#include "server/service/hub.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

std::string SerialOf(X509* cert) {
  if (cert == nullptr) return "";
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(number);
  std::string serial = hex;
  OPENSSL_free(hex);
  BN_free(number);
  return serial;
}

std::string SerialOfFile(const std::string& path) {
  FILE* file = fopen(path.c_str(), "r");
  if (file == nullptr) return "";
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  fclose(file);
  std::string serial = SerialOf(cert);
  X509_free(cert);
  return serial;
}

using ::ketenhub::testing::PkiFile;

struct Handshake {
  bool ok = false;
  std::string protocol;  // negotiated, when ok
  std::string cipher;
  std::string server_serial;  // hex serial of the hub's certificate, when ok
  std::string error;          // OpenSSL's reason, when not
};

Handshake Connect(int port, int version, const char* ciphers) {
  Handshake result;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  if (ciphers != nullptr) SSL_CTX_set_cipher_list(ctx, ciphers);
  SSL_CTX_use_certificate_file(ctx, PkiFile("politie.pem").c_str(),
                               SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx, PkiFile("politie-key.pem").c_str(),
                              SSL_FILETYPE_PEM);
  SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>("\x02h2"),
                          3);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  SSL* ssl = SSL_new(ctx);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    SSL_set_fd(ssl, fd);
    ERR_clear_error();
    if (SSL_connect(ssl) == 1) {
      result.ok = true;
      result.protocol = SSL_get_version(ssl);
      result.cipher = SSL_get_cipher_name(ssl);
      X509* peer = SSL_get1_peer_certificate(ssl);
      result.server_serial = SerialOf(peer);
      X509_free(peer);
    } else {
      char reason[256];
      ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
      result.error = reason;
    }
  }
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  return result;
}

// The client sent its hello and the hub ended the handshake (an alert or a
// closed connection), rather than the client refusing its own settings.
void ExpectRefusedByTheHub(const Handshake& handshake) {
  EXPECT_THAT(handshake.error,
              ::testing::AnyOf(::testing::HasSubstr("unexpected eof"),
                               ::testing::HasSubstr("alert")))
      << handshake.error;
}

TEST(TlsE2eTest, OffersOnlyModernProtocolsAndAeadSuites) {
  testing::TestHub hub;
  const Handshake tls13 = Connect(hub.port(), TLS1_3_VERSION, nullptr);
  EXPECT_TRUE(tls13.ok) << tls13.error;
  EXPECT_EQ(tls13.protocol, "TLSv1.3");
  const Handshake tls12 = Connect(hub.port(), TLS1_2_VERSION, nullptr);
  EXPECT_TRUE(tls12.ok) << tls12.error;
  EXPECT_THAT(tls12.cipher, ::testing::HasSubstr("GCM"));

  for (int old : {TLS1_VERSION, TLS1_1_VERSION}) {
    const Handshake refused = Connect(hub.port(), old, "ALL:@SECLEVEL=0");
    EXPECT_FALSE(refused.ok) << old;
    ExpectRefusedByTheHub(refused);
  }
  for (const char* weak :
       {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-ECDSA-NULL-SHA"}) {  // CBC, SHA-1 MAC, no encryption
    const Handshake refused =
        Connect(hub.port(), TLS1_2_VERSION,
                (std::string(weak) + ":@SECLEVEL=0").c_str());
    EXPECT_FALSE(refused.ok) << weak << " was accepted";
    ExpectRefusedByTheHub(refused);
  }
}

// A renewed hub certificate, dropped in place of the old files, is served
// to new connections without a restart, while a running stream goes on.
TEST(TlsE2eTest, ARenewedHubCertificateTakesEffectWhileAStreamRuns) {
  testing::TempDir dir;
  const std::string cert = dir.path() + "/hub.pem";
  const std::string key = dir.path() + "/hub-key.pem";
  std::filesystem::copy_file(PkiFile("hub.pem"), cert);
  std::filesystem::copy_file(PkiFile("hub-key.pem"), key);
  v1::HubConfig config = testing::TestHubConfig(dir.path() + "/data");
  config.mutable_tls()->set_cert_file(cert);
  config.mutable_tls()->set_key_file(key);
  config.mutable_tls()->set_reload_interval_seconds(1);
  auto hub = Hub::Start(config);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const int port = (*hub)->port();
  const std::string old_serial = SerialOfFile(PkiFile("hub.pem"));
  const std::string new_serial = SerialOfFile(PkiFile("hub-renewed.pem"));
  ASSERT_NE(old_serial, new_serial);
  EXPECT_EQ(Connect(port, TLS1_3_VERSION, nullptr).server_serial, old_serial);

  auto director = v1::ChainDirectorService::NewStub(
      *MakeHubChannel(testing::ClientOptionsFor("ketenregisseur", port)));
  grpc::ClientContext stream_context;
  auto stream = director->Subscribe(&stream_context, v1::SubscribeRequest());
  std::atomic<int> received{0};
  std::thread reader([&] {
    v1::Event event;
    while (stream->Read(&event)) {
      if (event.has_signal_received()) ++received;
    }
  });
  ASSERT_TRUE(
      (*SignalClient::Connect(testing::ClientOptionsFor("politie", port, 3)))
          ->Submit(testing::ValidSignal("before"))
          .ok());

  // The renewal: new files in place (each replaced in one rename).
  std::filesystem::copy_file(PkiFile("hub-renewed-key.pem"), key + ".new");
  std::filesystem::rename(key + ".new", key);
  std::filesystem::copy_file(PkiFile("hub-renewed.pem"), cert + ".new");
  std::filesystem::rename(cert + ".new", cert);
  std::string served;
  for (int attempt = 0; attempt < 50 && served != new_serial; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    served = Connect(port, TLS1_3_VERSION, nullptr).server_serial;
  }
  EXPECT_EQ(served, new_serial);

  ASSERT_TRUE(
      (*SignalClient::Connect(testing::ClientOptionsFor("ggd", port, 3)))
          ->Submit(testing::ValidSignal("after"))
          .ok());  // a new connection, under the new certificate
  for (int wait = 0; wait < 50 && received < 2; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(received.load(), 2);  // the old stream saw both
  stream_context.TryCancel();
  reader.join();
  (*hub)->Shutdown();
}

}  // namespace
}  // namespace ketenhub
