// The PKCS#11 token against Debian's SoftHSM2: keys made in the token do
// the hub's three kinds of work, and the token refuses what it should.
#include "server/crypto/pkcs11_token.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
