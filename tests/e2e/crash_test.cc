// Crash safety: partner systems submit through the client library while the
// real hub is killed with SIGKILL at random moments and restarted. Every
// signal whose receipt a client got must be stored exactly once and reach
// the chain director's stream. KETENHUB_CRASH_CYCLES sets the number of
// kills (default 10; `make soak` runs 100).
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/hub_process.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::HubProcess;
using ::ketenhub::testing::PkiFile;
using ::ketenhub::testing::TempDir;

int Cycles() {
  const char* value = std::getenv("KETENHUB_CRASH_CYCLES");
  return value != nullptr ? std::max(1, std::atoi(value)) : 10;
}

ClientOptions Patient(const std::string& name, int port) {
  // Rides out a restart, as a partner system would.
  ClientOptions options =
      testing::ClientOptionsFor(name, port, /*max_attempts=*/40);
  options.attempt_deadline = absl::Seconds(5);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  return options;
}

class CrashTest : public ::testing::Test {
 protected:
  void StartHub() {
    hub_ = std::make_unique<HubProcess>(KETENHUB_HUB_BINARY, config_,
                                        dir_.path() + "/hub.log");
    const int port = hub_->WaitForPort();
    ASSERT_GT(port, 0) << hub_->Log();
    if (port_ == 0) {  // keep the port for the restarts
      port_ = port;
      v1::HubConfig config = testing::TestHubConfig(dir_.path() + "/data");
      config.set_listen_address(absl::StrCat("127.0.0.1:", port_));
      std::ofstream(config_, std::ios::trunc) << config.DebugString();
    }
  }

  void SetUp() override {
    config_ = dir_.path() + "/hub.textproto";
    std::ofstream(config_)
        << testing::TestHubConfig(dir_.path() + "/data").DebugString();
    StartHub();
  }

  TempDir dir_;
  std::string config_;
  int port_ = 0;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(CrashTest, NoAcknowledgedSignalIsLostOrDuplicatedAcrossKills) {
  const std::vector<std::string> partners = {"politie", "ggd", "veilig-thuis",
                                             "gemeente-hilversum"};
  absl::Mutex mu;
  std::map<std::string, std::string> acknowledged;  // client_ref -> signal id
  std::map<std::string, std::string> partner_of;    // client_ref -> partner
  std::atomic<bool> stop{false};
  std::vector<std::thread> submitters;
  for (const std::string& partner : partners) {
    submitters.emplace_back([&, partner] {
      auto client = *SignalClient::Connect(Patient(partner, port_));
      for (int i = 0; !stop.load(); ++i) {
        const std::string ref = absl::StrCat(partner, "-", i);
        {
          absl::MutexLock lock(&mu);
          partner_of[ref] = partner;
        }
        absl::StatusOr<v1::Receipt> receipt =
            client->Submit(testing::ValidSignal(ref));
        if (receipt.ok()) {
          absl::MutexLock lock(&mu);
          acknowledged[ref] = receipt->signal_id();
        }
      }
    });
  }

  std::mt19937 random(20261122);
  const int cycles = Cycles();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(100, 400)(random)));
    hub_->Stop(SIGKILL);
    StartHub();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (std::thread& t : submitters) t.join();

  // Replaying every attempted client_ref: an acknowledged one must get its
  // original receipt; one whose receipt was lost is stored now, once.
  size_t lost = 0;
  std::set<std::string> ids;
  std::map<std::string, std::unique_ptr<SignalClient>> clients;
  for (const std::string& partner : partners)
    clients[partner] = *SignalClient::Connect(Patient(partner, port_));
  for (const auto& [ref, partner] : partner_of) {
    absl::StatusOr<v1::Receipt> again =
        clients[partner]->Submit(testing::ValidSignal(ref));
    ASSERT_TRUE(again.ok()) << ref << ": " << again.status();
    ids.insert(again->signal_id());
    auto it = acknowledged.find(ref);
    if (it != acknowledged.end() && it->second != again->signal_id()) ++lost;
  }

  // The chain director sees every acknowledged signal (at least once).
  absl::Mutex delivered_mu;  // the watcher's thread adds, this one reads
  std::set<std::string> delivered;
  auto director =
      *ChainDirectorClient::Connect(Patient("ketenregisseur", port_));
  std::thread watcher([&] {
    (void)director->Watch(
        [&](const v1::Event& event) {
          absl::MutexLock lock(&delivered_mu);
          if (event.has_signal_received())
            delivered.insert(event.signal_received().signal_id());
          if (delivered.size() >= ids.size()) director->Cancel();
          return true;
        },
        0);
  });
  auto all_delivered = [&] {
    absl::MutexLock lock(&delivered_mu);
    return delivered.size() >= ids.size();
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!all_delivered() && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(50));
  director->Cancel();
  watcher.join();
  size_t undelivered = 0;
  for (const auto& [ref, id] : acknowledged)
    undelivered += delivered.contains(id) ? 0 : 1;

  EXPECT_EQ(hub_->Stop(SIGTERM), 0);
  const int stored =
      testing::TestHub::CountStoredSignalsIn(dir_.path() + "/data");
  std::cout << "crash test: " << cycles << " kills, " << partner_of.size()
            << " signals attempted, " << acknowledged.size()
            << " acknowledged, " << stored << " stored, " << lost << " lost, "
            << (stored - static_cast<int>(ids.size())) << " duplicated, "
            << undelivered << " not delivered\n";
  EXPECT_GT(acknowledged.size(), 0u);
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(stored, static_cast<int>(partner_of.size()));  // each exactly once
  EXPECT_EQ(ids.size(), partner_of.size());
  EXPECT_EQ(undelivered, 0u);
}

}  // namespace
}  // namespace ketenhub
