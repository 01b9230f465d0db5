#include "server/security/server_credentials.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "server/common/status_macros.h"
#include "server/security/openssl_handles.h"

namespace ketenhub {
namespace {

constexpr unsigned int kRefreshIntervalSeconds = 60;

absl::StatusOr<std::string> ReadPemFile(absl::string_view field,
                                        const std::string& path) {
  if (path.empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view field,
                                         const std::string& path,
                                         const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": no PEM certificate in ", path));
  }
  return cert;
}

absl::Status CheckValidityPeriod(const std::string& path, X509* cert) {
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tls.cert_file: certificate in ", path, " is not yet valid"));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.cert_file: certificate in ", path, " has expired"));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyMatches(const v1::TlsConfig& tls, X509* cert,
                             const std::string& key_pem) {
  BioPtr bio = MemoryBio(key_pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tls.key_file: no unencrypted PEM private key in ", tls.key_file()));
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.key_file: key in ", tls.key_file(),
                     " does not match the certificate in ", tls.cert_file()));
  }
  return absl::OkStatus();
}

absl::Status CheckTlsFiles(const v1::TlsConfig& tls) {
  absl::StatusOr<std::string> cert_pem =
      ReadPemFile("tls.cert_file", tls.cert_file());
  KETENHUB_RETURN_IF_ERROR(cert_pem.status());
  absl::StatusOr<std::string> key_pem =
      ReadPemFile("tls.key_file", tls.key_file());
  KETENHUB_RETURN_IF_ERROR(key_pem.status());
  absl::StatusOr<std::string> ca_pem =
      ReadPemFile("tls.ca_file", tls.ca_file());
  KETENHUB_RETURN_IF_ERROR(ca_pem.status());

  absl::StatusOr<X509Ptr> cert =
      ParseCertificate("tls.cert_file", tls.cert_file(), *cert_pem);
  KETENHUB_RETURN_IF_ERROR(cert.status());
  KETENHUB_RETURN_IF_ERROR(CheckValidityPeriod(tls.cert_file(), cert->get()));
  KETENHUB_RETURN_IF_ERROR(CheckKeyMatches(tls, cert->get(), *key_pem));
  return ParseCertificate("tls.ca_file", tls.ca_file(), *ca_pem).status();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const v1::TlsConfig& tls) {
  KETENHUB_RETURN_IF_ERROR(CheckTlsFiles(tls));
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          tls.key_file(), tls.cert_file(), tls.ca_file(),
          tls.reload_interval_seconds() > 0 ? tls.reload_interval_seconds()
                                            : kRefreshIntervalSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // gRPC's TLS credentials negotiate TLS 1.2 at minimum by default.
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace ketenhub
