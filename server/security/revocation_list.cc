#include "server/security/revocation_list.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/common/text_proto.h"
#include "server/security/openssl_handles.h"

namespace ketenhub {
namespace {

struct CrlFree {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUM* number = ASN1_INTEGER_to_BN(serial, nullptr);
  char* hex = number ? BN_bn2hex(number) : nullptr;
  std::string out = hex ? absl::AsciiStrToLower(hex) : "";
  OPENSSL_free(hex);
  BN_free(number);
  return out;
}

absl::StatusOr<absl::Time> AsTime(const ASN1_TIME* time) {
  struct tm parts;
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1)
    return absl::InvalidArgumentError("no time");
  return absl::FromUnixSeconds(timegm(&parts));
}

// The CA certificates of a PEM bundle.
std::vector<X509Ptr> ReadCas(const std::string& pem) {
  std::vector<X509Ptr> cas;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    cas.emplace_back(ca);
  return cas;
}

bool SignedByOneOf(X509_CRL* crl, const std::vector<X509Ptr>& cas) {
  for (const X509Ptr& ca : cas) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
                      X509_get_subject_name(ca.get())) != 0) {
      continue;
    }
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    if (key != nullptr && X509_CRL_verify(crl, key) == 1) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RevocationList>> RevocationList::Load(
    std::vector<std::string> crl_files, std::string ca_file) {
  std::unique_ptr<RevocationList> list(
      new RevocationList(std::move(crl_files), std::move(ca_file)));
  if (absl::Status loaded = list->Reload(); !loaded.ok()) return loaded;
  return list;
}

absl::Status RevocationList::Reload() {
  absl::flat_hash_set<std::string> revoked;
  absl::Time next_update = absl::InfiniteFuture();
  absl::Status status;
  absl::StatusOr<std::string> ca_pem =
      crl_files_.empty() ? std::string() : ReadFileToString(ca_file_);
  const std::vector<X509Ptr> cas =
      ca_pem.ok() ? ReadCas(*ca_pem) : std::vector<X509Ptr>();
  for (size_t i = 0; i < crl_files_.size() && status.ok(); ++i) {
    const std::string field = absl::StrCat("tls.crl_files[", i, "] ");
    absl::StatusOr<std::string> pem = ReadFileToString(crl_files_[i]);
    if (!pem.ok()) {
      status = absl::FailedPreconditionError(
          absl::StrCat(field, crl_files_[i], ": cannot be read"));
      break;
    }
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    absl::StatusOr<absl::Time> next =
        crl ? AsTime(X509_CRL_get0_nextUpdate(crl.get()))
            : absl::StatusOr<absl::Time>(absl::InvalidArgumentError(""));
    if (!crl || !next.ok()) {
      status = absl::FailedPreconditionError(absl::StrCat(
          field, crl_files_[i], ": not a PEM CRL with a nextUpdate"));
    } else if (!SignedByOneOf(crl.get(), cas)) {
      status = absl::FailedPreconditionError(absl::StrCat(
          field, crl_files_[i], ": not signed by a CA of tls.ca_file"));
    } else {
      next_update = std::min(next_update, *next);
      STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
      for (int j = 0; j < sk_X509_REVOKED_num(entries); ++j) {
        revoked.insert(SerialHex(
            X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, j))));
      }
    }
  }
  absl::MutexLock lock(&mu_);
  usable_ = status;
  if (status.ok()) {
    revoked_ = std::move(revoked);
    next_update_ = next_update;
  }
  return status;
}

absl::Status RevocationList::Usable(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  return UsableLocked(now);
}

absl::Status RevocationList::UsableLocked(absl::Time now) const {
  if (!usable_.ok()) return usable_;
  if (now > next_update_) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.crl_files: a CRL is past its nextUpdate (",
                     absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", next_update_,
                                      absl::UTCTimeZone()),
                     "); renew it"));
  }
  return absl::OkStatus();
}

absl::Status RevocationList::Check(absl::string_view serial_hex,
                                   absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (absl::Status usable = UsableLocked(now); !usable.ok()) {
    if (now - refusal_logged_ >= kRefusalLogInterval) {
      refusal_logged_ = now;
      LogEvent(LogLevel::kError, "revocation_list_unusable",
               {{"reason", usable.message()}, {"refusing", true}});
    }
    return absl::UnavailableError(
        !usable_.ok()
            ? "the hub cannot check certificate revocation; refused until "
              "its operator repairs the revocation list"
            : "the hub's certificate revocation list is out of date; "
              "refused until its operator renews it");
  }
  if (revoked_.contains(serial_hex)) {
    return absl::UnauthenticatedError("client certificate is revoked");
  }
  return absl::OkStatus();
}

}  // namespace ketenhub
