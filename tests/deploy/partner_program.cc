// A partner system's smallest program, built in tests/deploy/package_test.sh
// against the installed ketenhub-client package alone (pkg-config
// ketenhub-client): submits one signal to a hub and reads its status back.
// Usage: partner_program HOST:PORT CERT KEY CA
#include <iostream>

#include "client/signal_client.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: partner_program HOST:PORT CERT KEY CA\n";
    return 2;
  }
  ketenhub::ClientOptions options;
  options.target = argv[1];
  options.cert_file = argv[2];
  options.key_file = argv[3];
  options.ca_file = argv[4];
  auto client = ketenhub::SignalClient::Connect(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  ketenhub::v1::Signal signal;
  signal.set_category(ketenhub::v1::CATEGORY_LABOUR_EXPLOITATION);
  signal.set_urgency(ketenhub::v1::URGENCY_ROUTINE);
  signal.mutable_subject()->set_bsn("999990032");
  signal.set_municipality("GM0402");
  signal.mutable_observed_at()->set_seconds(1764000000);
  signal.set_summary("Signaal uit het partnerprogramma van de pakkettest.");
  signal.set_legal_basis("Convenant Zorg- en Veiligheidshuis");
  signal.mutable_contact()->set_name("Testcontact");
  signal.mutable_contact()->set_phone("+31 88 000 0009");
  auto receipt = (*client)->Submit(signal);
  if (!receipt.ok()) {
    std::cerr << receipt.status() << "\n";
    return 1;
  }
  auto status = (*client)->GetStatus(receipt->signal_id());
  if (!status.ok()) {
    std::cerr << status.status() << "\n";
    return 1;
  }
  std::cout << "stored " << status->signal_id() << " as sequence "
            << status->sequence() << "\n";
  return 0;
}
