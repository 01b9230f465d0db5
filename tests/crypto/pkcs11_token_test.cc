// The PKCS#11 token against Debian's SoftHSM2: keys made in the token do
// the hub's three kinds of work, and the token refuses what it should.
#include "server/crypto/pkcs11_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/crypto/aead.h"
#include "tests/testing/soft_hsm.h"

namespace ketenhub {
namespace {

using ::testing::HasSubstr;

TEST(Pkcs11TokenTest, KeysMadeInTheTokenSealMacAndSign) {
  testing::SoftHsm hsm;
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(hsm.uri(), hsm.pin());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ((*token)->label(), "ketenhub-test");

  absl::StatusOr<Pkcs11Token::Handle> kek = (*token)->GenerateAesKey("kek-1");
  ASSERT_TRUE(kek.ok()) << kek.status();
  const std::string nonce(12, 'n');
  absl::StatusOr<std::string> sealed =
      (*token)->Seal(*kek, nonce, "data key bytes", "signal-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(), 14u + 16u);
  absl::StatusOr<std::string> opened =
      (*token)->Open(*kek, nonce, *sealed, "signal-1");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "data key bytes");
  EXPECT_EQ((*token)->Open(*kek, nonce, *sealed, "signal-2").status().code(),
            absl::StatusCode::kDataLoss);

  absl::StatusOr<Pkcs11Token::Handle> mac_key =
      (*token)->GenerateHmacKey("pseudonym");
  ASSERT_TRUE(mac_key.ok()) << mac_key.status();
  absl::StatusOr<std::string> mac = (*token)->Hmac(*mac_key, "bsn:999990019");
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(mac->size(), 32u);
  EXPECT_EQ(*(*token)->Hmac(*mac_key, "bsn:999990019"), *mac);
  EXPECT_NE(*(*token)->Hmac(*mac_key, "bsn:999990020"), *mac);

  absl::StatusOr<Pkcs11Token::Handle> signing =
      (*token)->GenerateEd25519Key("audit-signing");
  ASSERT_TRUE(signing.ok()) << signing.status();
  absl::StatusOr<std::string> signature = (*token)->Sign(*signing, "tree head");
  ASSERT_TRUE(signature.ok()) << signature.status();
  absl::StatusOr<std::string> public_key =
      (*token)->Ed25519PublicKey("audit-signing");
  ASSERT_TRUE(public_key.ok()) << public_key.status();
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_key->data()),
      public_key->size());
  ASSERT_NE(pkey, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey), 1);
  const std::string message = "tree head";
  EXPECT_EQ(EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                signature->size(),
                reinterpret_cast<const unsigned char*>(message.data()),
                message.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);

  // Found again by label; listed by prefix.
  absl::StatusOr<std::optional<Pkcs11Token::Handle>> found =
      (*token)->FindSecretKey("kek-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_THAT(*(*token)->SecretKeyLabels("kek-"),
              ::testing::ElementsAre("kek-1"));
  EXPECT_FALSE((*(*token)->FindSecretKey("kek-2")).has_value());
}

// Keys moved from files into the token give what the files gave: the
// token's sealing opens with aead::Open under the same bytes (so data keys
// wrapped before the move still open), its HMAC is OpenSSL's, and its
// signatures verify under the file key's public half.
TEST(Pkcs11TokenTest, KeysMovedFromFilesWorkAsTheyDidInFiles) {
  testing::SoftHsm hsm;
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(hsm.uri(), hsm.pin());
  ASSERT_TRUE(token.ok()) << token.status();
  const std::string kek = aead::RandomBytes(32);
  absl::StatusOr<Pkcs11Token::Handle> in_token =
      (*token)->ImportAesKey("kek-moved", kek);
  ASSERT_TRUE(in_token.ok()) << in_token.status();
  const std::string nonce = aead::RandomBytes(12);
  absl::StatusOr<std::string> by_file =
      aead::Seal(kek, nonce, "data key", "associated");
  ASSERT_TRUE(by_file.ok());
  EXPECT_EQ(*(*token)->Open(*in_token, nonce, *by_file, "associated"),
            "data key");
  EXPECT_EQ(
      *aead::Open(kek, nonce,
                  *(*token)->Seal(*in_token, nonce, "data key", "associated"),
                  "associated"),
      "data key");

  const std::string mac_key = aead::RandomBytes(32);
  absl::StatusOr<Pkcs11Token::Handle> mac =
      (*token)->ImportHmacKey("pseudonym-moved", mac_key);
  ASSERT_TRUE(mac.ok()) << mac.status();
  unsigned char expected[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), mac_key.data(), static_cast<int>(mac_key.size()),
       reinterpret_cast<const unsigned char*>("bsn:999990019"), 13, expected,
       &length);
  EXPECT_EQ(*(*token)->Hmac(*mac, "bsn:999990019"),
            std::string(reinterpret_cast<char*>(expected), length));

  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(pkey, nullptr);
  std::string private_key(32, '\0'), public_key(32, '\0');
  size_t size = 32;
  ASSERT_EQ(
      EVP_PKEY_get_raw_private_key(
          pkey, reinterpret_cast<unsigned char*>(private_key.data()), &size),
      1);
  size = 32;
  ASSERT_EQ(
      EVP_PKEY_get_raw_public_key(
          pkey, reinterpret_cast<unsigned char*>(public_key.data()), &size),
      1);
  absl::StatusOr<Pkcs11Token::Handle> signing =
      (*token)->ImportEd25519Key("signing-moved", private_key, public_key);
  ASSERT_TRUE(signing.ok()) << signing.status();
  EXPECT_EQ(*(*token)->Ed25519PublicKey("signing-moved"), public_key);
  absl::StatusOr<std::string> signature = (*token)->Sign(*signing, "head");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey), 1);
  EXPECT_EQ(
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(signature->data()),
          signature->size(), reinterpret_cast<const unsigned char*>("head"), 4),
      1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
}

TEST(Pkcs11TokenTest, AWrongPinOrAPinInTheUriIsRefused) {
  testing::SoftHsm hsm;
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> wrong =
      Pkcs11Token::Open(hsm.uri(), "0000");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.status().message(), HasSubstr("CKR_PIN_INCORRECT"));
  EXPECT_THAT(Pkcs11Token::Open(hsm.uri() + "&pin-value=4321", "4321")
                  .status()
                  .message(),
              HasSubstr("pin-value"));
  EXPECT_THAT(Pkcs11Token::Open("pkcs11:token=other?module-path=" +
                                    std::string(testing::kSoftHsmModule),
                                "4321")
                  .status()
                  .message(),
              HasSubstr("no token"));
  EXPECT_THAT(Pkcs11Token::Open("pkcs11:token=ketenhub-test", "4321")
                  .status()
                  .message(),
              HasSubstr("module-path"));
  EXPECT_THAT(
      Pkcs11Token::Open("https://example.org", "4321").status().message(),
      HasSubstr("not a pkcs11: URI"));
}

}  // namespace
}  // namespace ketenhub
