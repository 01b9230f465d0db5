// End to end for the hub's keys in a PKCS#11 token (Debian's SoftHSM2, a
// token made per test): all three keys live and work in the token, no key
// file exists, a copy of the data and the token without the PIN opens
// nothing, and KEK rotation within the token runs online.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "ketenhub/v1/admin.grpc.pb.h"
#include "server/common/files.h"
#include "server/common/text_proto.h"
#include "server/crypto/pkcs11_token.h"
#include "tests/testing/soft_hsm.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::ValidSignal;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TokenE2eTest : public ::testing::Test {
 protected:
  v1::HubConfig Config(const std::string& data_dir) const {
    v1::HubConfig config = testing::TestHubConfig(data_dir);
    config.mutable_keys()->set_pkcs11_uri(hsm_.uri());
    config.mutable_keys()->set_pin_file(hsm_.pin_file());
    return config;
  }

  std::unique_ptr<Hub> Start(const v1::HubConfig& config) {
    absl::StatusOr<std::unique_ptr<Hub>> hub = Hub::Start(config);
    EXPECT_TRUE(hub.ok()) << hub.status();
    return hub.ok() ? *std::move(hub) : nullptr;
  }

  std::unique_ptr<SignalClient> Client(const Hub& hub,
                                       const std::string& name) {
    return *SignalClient::Connect(testing::ClientOptionsFor(name, hub.port()));
  }
  std::unique_ptr<ChainDirectorClient> Director(const Hub& hub) {
    return *ChainDirectorClient::Connect(
        testing::ClientOptionsFor("ketenregisseur", hub.port()));
  }

  // Every regular file under `dir`, relative to it.
  static std::vector<std::string> Files(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file())
        files.push_back(std::filesystem::relative(entry.path(), dir));
    }
    return files;
  }

  testing::SoftHsm hsm_;
  testing::TempDir dir_;
};

TEST_F(TokenE2eTest, AllThreeKeysLiveInTheTokenAndNoKeyFileExists) {
  const std::string data = dir_.path() + "/data";
  std::string signal_id;
  {
    std::unique_ptr<Hub> hub = Start(Config(data));
    ASSERT_NE(hub, nullptr);
    absl::StatusOr<v1::Receipt> receipt =
        Client(*hub, "politie")
            ->Submit(ValidSignal("t-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[0]));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    signal_id = receipt->signal_id();
    hub->Shutdown();
  }
  // The token holds the three keys; the key folder only the audit public
  // key (for auditors) and which KEK is current.
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(hsm_.uri(), hsm_.pin());
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<std::vector<std::string>> keks =
      (*token)->SecretKeyLabels("ketenhub-kek-");
  ASSERT_TRUE(keks.ok()) << keks.status();
  EXPECT_EQ(keks->size(), 1u);
  EXPECT_TRUE((*(*token)->FindSecretKey("ketenhub-pseudonym")).has_value());
  EXPECT_TRUE(
      (*(*token)->FindPrivateKey("ketenhub-audit-signing")).has_value());
  EXPECT_THAT(Files(data + "/keys"), ::testing::UnorderedElementsAre(
                                         "audit-signing.pub", "kek/current"));
  EXPECT_THAT(testing::FilesHolding(data, testing::kTestNarrative), IsEmpty());
  EXPECT_THAT(testing::FilesHolding(data, testing::TestBsns()[0]), IsEmpty());
  // The public key the hub wrote is the token's.
  absl::StatusOr<std::string> raw =
      (*token)->Ed25519PublicKey("ketenhub-audit-signing");
  ASSERT_TRUE(raw.ok()) << raw.status();
  token->reset();

  // Again on the same token: the signal opens, a second partner's signal
  // about the same person matches it (same pseudonym key), and the trail's
  // checkpoints verify with the public key.
  std::unique_ptr<Hub> hub = Start(Config(data));
  ASSERT_NE(hub, nullptr);
  absl::StatusOr<v1::ReleasedSignal> read =
      Director(*hub)->GetSignal(signal_id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->summary(), testing::kTestNarrative);
  EXPECT_EQ(read->subject().bsn(), testing::TestBsns()[0]);
  ASSERT_TRUE(Client(*hub, "ggd")
                  ->Submit(ValidSignal("t-2", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                       testing::TestBsns()[0]))
                  .ok());
  const std::vector<v1::Event> events =
      testing::CollectEvents(*Director(*hub), 3);
  bool matched = false;
  for (const v1::Event& event : events) matched |= event.has_match_found();
  EXPECT_TRUE(matched);
  absl::StatusOr<std::string> pem =
      ReadFileToString(data + "/keys/audit-signing.pub");
  ASSERT_TRUE(pem.ok());
  auto auditor =
      *AuditClient::Connect(testing::ClientOptionsFor("auditor", hub->port()));
  absl::StatusOr<v1::SignedCheckpoint> checkpoint =
      auditor->VerifyLog(*pem, std::nullopt);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_GT(checkpoint->tree_size(), 2u);
}

TEST_F(TokenE2eTest, ACopyOfTheDataAndTheTokenWithoutThePinOpensNothing) {
  const std::string data = dir_.path() + "/data";
  {
    std::unique_ptr<Hub> hub = Start(Config(data));
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(
        Client(*hub, "politie")
            ->Submit(ValidSignal("c-1", v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[0]))
            .ok());
    hub->Shutdown();
  }
  // An insider copies the data folder, and has the token (its files, or
  // its configuration) but not the PIN.
  const std::string copy = dir_.path() + "/copy";
  std::filesystem::copy(data, copy, std::filesystem::copy_options::recursive);
  v1::HubConfig config = Config(copy);
  // Without the PIN file, and without the systemd credential.
  config.mutable_keys()->clear_pin_file();
  absl::StatusOr<std::unique_ptr<Hub>> no_pin = Hub::Start(config);
  EXPECT_EQ(no_pin.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_pin.status().message(), HasSubstr("keys.pin_file"));
  // With a guessed PIN.
  const std::string guess = dir_.path() + "/guess";
  ASSERT_TRUE(WritePrivateFile(guess, "1234\n").ok());
  config.mutable_keys()->set_pin_file(guess);
  absl::StatusOr<std::unique_ptr<Hub>> guessed = Hub::Start(config);
  EXPECT_EQ(guessed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(guessed.status().message(), HasSubstr("CKR_PIN_INCORRECT"));
  // Without the token, as files: no key to open anything with.
  v1::HubConfig files = testing::TestHubConfig(copy);
  absl::StatusOr<std::unique_ptr<Hub>> as_files = Hub::Start(files);
  EXPECT_FALSE(as_files.ok());
  // Nothing in the copy reads in clear.
  EXPECT_THAT(testing::FilesHolding(copy, testing::kTestNarrative), IsEmpty());
  EXPECT_THAT(testing::FilesHolding(copy, testing::TestBsns()[0]), IsEmpty());
}

TEST_F(TokenE2eTest, KekRotationWithinTheTokenRunsOnline) {
  std::unique_ptr<Hub> hub = Start(Config(dir_.path() + "/data"));
  ASSERT_NE(hub, nullptr);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<v1::Receipt> receipt =
        Client(*hub, "politie")
            ->Submit(ValidSignal(absl::StrCat("r-", i),
                                 v1::CATEGORY_SEXUAL_EXPLOITATION,
                                 testing::TestBsns()[i % 3]));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.push_back(receipt->signal_id());
  }
  auto admin = v1::AdminService::NewStub(
      *MakeHubChannel(testing::ClientOptionsFor("operator", hub->port())));
  grpc::ClientContext context;
  v1::RotateKekResponse rotated;
  const grpc::Status status =
      admin->RotateKek(&context, v1::RotateKekRequest(), &rotated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rotated.data_keys_rewrapped(), 20u);
  ASSERT_EQ(rotated.unused_kek_ids_size(), 1);
  // The new KEK is in the token, and every signal still opens under it.
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(hsm_.uri(), hsm_.pin());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(
      (*(*token)->FindSecretKey("ketenhub-" + rotated.kek_id())).has_value());
  auto director = Director(*hub);
  for (const std::string& id : ids) {
    absl::StatusOr<v1::ReleasedSignal> read = director->GetSignal(id);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->summary(), testing::kTestNarrative);
  }
  EXPECT_THAT(Files(dir_.path() + "/data/keys/kek"),
              ::testing::ElementsAre("current"));
}

}  // namespace
}  // namespace ketenhub
