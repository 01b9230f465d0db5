// The hub's TLS as a raw OpenSSL client sees it: TLS 1.2 and 1.3 with
// strong AEAD suites only; for old protocols and weak suites the hub ends
// the handshake. The client is set to allow everything, so a refusal is the
// hub's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::PkiFile;

struct Handshake {
  bool ok = false;
  std::string protocol;  // negotiated, when ok
  std::string cipher;
  std::string error;  // OpenSSL's reason, when not
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

}  // namespace
}  // namespace ketenhub
