#include "server/crypto/pkcs11_token.h"

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>
#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "server/common/text_proto.h"

namespace ketenhub {
namespace {

constexpr size_t kGcmTagBytes = 16;
// The DER of the Ed25519 curve's OID (1.3.101.112), for CKA_EC_PARAMS.
constexpr unsigned char kEd25519Oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

std::string RvName(CK_RV rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT (wrong PIN)";
    case CKR_PIN_LOCKED:
      return "CKR_PIN_LOCKED";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID (the token cannot do this)";
    case CKR_DEVICE_ERROR:
      return "CKR_DEVICE_ERROR";
    default:
      return absl::StrFormat("CKR 0x%lx", rv);
  }
}

absl::Status Failed(absl::string_view what, CK_RV rv) {
  return absl::UnavailableError(
      absl::StrCat("pkcs11: ", what, ": ", RvName(rv)));
}

std::string Trimmed(const unsigned char* padded, size_t size) {
  return std::string(absl::StripTrailingAsciiWhitespace(
      absl::string_view(reinterpret_cast<const char*>(padded), size)));
}

CK_BYTE_PTR Bytes(absl::string_view data) {
  return reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(data.data()));
}

}  // namespace

class Pkcs11Token::Impl {
 public:
  Impl(CK_FUNCTION_LIST* module, CK_SLOT_ID slot)
      : module_(module), slot_(slot) {}

  ~Impl() {
    absl::MutexLock lock(&mu_);
    for (CK_SESSION_HANDLE session : free_) module_->C_CloseSession(session);
    p11_kit_module_finalize(module_);
    p11_kit_module_release(module_);
  }

  // A session of its own for the caller's operation, back to the pool when
  // it ends.
  class Session {
   public:
    Session(Impl* impl, CK_SESSION_HANDLE handle)
        : impl_(impl), handle_(handle) {}
    ~Session() {
      if (handle_ != CK_INVALID_HANDLE) impl_->Release(handle_);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    CK_SESSION_HANDLE get() const { return handle_; }
    CK_FUNCTION_LIST* f() const { return impl_->module_; }

   private:
    Impl* const impl_;
    const CK_SESSION_HANDLE handle_;
  };

  absl::StatusOr<std::unique_ptr<Session>> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!free_.empty()) {
        const CK_SESSION_HANDLE handle = free_.back();
        free_.pop_back();
        return std::make_unique<Session>(this, handle);
      }
    }
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
    const CK_RV rv = module_->C_OpenSession(
        slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &handle);
    if (rv != CKR_OK) return Failed("open a session", rv);
    return std::make_unique<Session>(this, handle);
  }

  void Release(CK_SESSION_HANDLE handle) {
    absl::MutexLock lock(&mu_);
    free_.push_back(handle);
  }

  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> Find(
      CK_OBJECT_CLASS object_class, const std::string* label) {
    absl::StatusOr<std::unique_ptr<Session>> session = Acquire();
    if (!session.ok()) return session.status();
    CK_ATTRIBUTE search[2] = {
        {CKA_CLASS, &object_class, sizeof(object_class)},
        {CKA_LABEL, label ? const_cast<char*>(label->data()) : nullptr,
         label ? label->size() : 0}};
    CK_FUNCTION_LIST* f = module_;
    CK_RV rv = f->C_FindObjectsInit((*session)->get(), search, label ? 2 : 1);
    if (rv != CKR_OK) return Failed("find objects", rv);
    std::vector<CK_OBJECT_HANDLE> found;
    CK_OBJECT_HANDLE batch[64];
    CK_ULONG count = 0;
    while ((rv = f->C_FindObjects((*session)->get(), batch, 64, &count)) ==
               CKR_OK &&
           count > 0) {
      found.insert(found.end(), batch, batch + count);
    }
    f->C_FindObjectsFinal((*session)->get());
    if (rv != CKR_OK) return Failed("find objects", rv);
    return found;
  }

  absl::StatusOr<std::string> Attribute(CK_OBJECT_HANDLE object,
                                        CK_ATTRIBUTE_TYPE type) {
    absl::StatusOr<std::unique_ptr<Session>> session = Acquire();
    if (!session.ok()) return session.status();
    CK_ATTRIBUTE attribute = {type, nullptr, 0};
    CK_RV rv =
        module_->C_GetAttributeValue((*session)->get(), object, &attribute, 1);
    if (rv != CKR_OK) return Failed("read an attribute", rv);
    std::string value(attribute.ulValueLen, '\0');
    attribute.pValue = value.data();
    rv = module_->C_GetAttributeValue((*session)->get(), object, &attribute, 1);
    if (rv != CKR_OK) return Failed("read an attribute", rv);
    value.resize(attribute.ulValueLen);
    return value;
  }

  CK_FUNCTION_LIST* const module_;
  const CK_SLOT_ID slot_;

 private:
  absl::Mutex mu_;
  std::vector<CK_SESSION_HANDLE> free_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::shared_ptr<Pkcs11Token>> Pkcs11Token::Open(
    const std::string& uri_text, const std::string& pin) {
  std::unique_ptr<P11KitUri, void (*)(P11KitUri*)> uri(p11_kit_uri_new(),
                                                       p11_kit_uri_free);
  if (p11_kit_uri_parse(uri_text.c_str(), P11_KIT_URI_FOR_ANY, uri.get()) !=
      P11_KIT_URI_OK) {
    return absl::FailedPreconditionError(
        "keys.pkcs11_uri: not a pkcs11: URI (RFC 7512)");
  }
  if (p11_kit_uri_get_pin_value(uri.get()) != nullptr) {
    return absl::FailedPreconditionError(
        "keys.pkcs11_uri: holds a pin-value; give the PIN in keys.pin_file or "
        "the systemd credential instead");
  }
  const char* module_path = p11_kit_uri_get_module_path(uri.get());
  if (module_path == nullptr) {
    return absl::FailedPreconditionError(
        "keys.pkcs11_uri: needs module-path, the token's PKCS#11 library "
        "(e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so)");
  }
  CK_FUNCTION_LIST* module = p11_kit_module_load(module_path, 0);
  if (module == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys.pkcs11_uri: module ", module_path,
                     " does not load: ", p11_kit_message()));
  }
  if (CK_RV rv = p11_kit_module_initialize(module); rv != CKR_OK) {
    p11_kit_module_release(module);
    return absl::FailedPreconditionError(
        absl::StrCat("keys.pkcs11_uri: module ", module_path,
                     " does not start: ", RvName(rv)));
  }
  CK_ULONG slot_count = 0;
  std::vector<CK_SLOT_ID> slots;
  if (module->C_GetSlotList(CK_TRUE, nullptr, &slot_count) == CKR_OK) {
    slots.resize(slot_count);
    if (module->C_GetSlotList(CK_TRUE, slots.data(), &slot_count) != CKR_OK)
      slots.clear();
    slots.resize(std::min<size_t>(slots.size(), slot_count));
  }
  std::optional<CK_SLOT_ID> slot;
  std::string token_label;
  for (CK_SLOT_ID candidate : slots) {
    CK_TOKEN_INFO info;
    if (module->C_GetTokenInfo(candidate, &info) != CKR_OK) continue;
    if (p11_kit_uri_match_token_info(uri.get(), &info) == 1) {
      slot = candidate;
      token_label = Trimmed(info.label, sizeof(info.label));
      break;
    }
  }
  auto impl = std::make_unique<Impl>(module, slot.value_or(0));
  if (!slot.has_value()) {
    return absl::FailedPreconditionError(
        "keys.pkcs11_uri: no token of the module matches it");
  }
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl->Acquire();
  if (!session.ok()) return session.status();
  const CK_RV rv = module->C_Login(
      (*session)->get(), CKU_USER,
      reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())),
      pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys: cannot log in to token '", token_label, "': ", RvName(rv)));
  }
  session->reset();
  return std::shared_ptr<Pkcs11Token>(
      new Pkcs11Token(std::move(impl), std::move(token_label)));
}

Pkcs11Token::Pkcs11Token(std::unique_ptr<Impl> impl, std::string token_label)
    : impl_(std::move(impl)), token_label_(std::move(token_label)) {}

Pkcs11Token::~Pkcs11Token() = default;

namespace {

absl::StatusOr<std::optional<Pkcs11Token::Handle>> One(
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> found,
    absl::string_view label) {
  if (!found.ok()) return found.status();
  if (found->empty()) return std::nullopt;
  if (found->size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys: the token holds two keys labelled ", label));
  }
  return found->front();
}

}  // namespace

absl::StatusOr<std::optional<Pkcs11Token::Handle>> Pkcs11Token::FindSecretKey(
    absl::string_view label) {
  const std::string text(label);
  return One(impl_->Find(CKO_SECRET_KEY, &text), label);
}

absl::StatusOr<std::optional<Pkcs11Token::Handle>> Pkcs11Token::FindPrivateKey(
    absl::string_view label) {
  const std::string text(label);
  return One(impl_->Find(CKO_PRIVATE_KEY, &text), label);
}

absl::StatusOr<std::vector<std::string>> Pkcs11Token::SecretKeyLabels(
    absl::string_view prefix) {
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> found =
      impl_->Find(CKO_SECRET_KEY, nullptr);
  if (!found.ok()) return found.status();
  std::vector<std::string> labels;
  for (CK_OBJECT_HANDLE object : *found) {
    absl::StatusOr<std::string> label = impl_->Attribute(object, CKA_LABEL);
    if (!label.ok()) return label.status();
    if (absl::StartsWith(*label, prefix)) labels.push_back(*std::move(label));
  }
  return labels;
}

namespace {

// The attributes every key the hub makes has: in the token, private,
// sensitive, never extractable.
struct KeyTemplate {
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  std::vector<CK_ATTRIBUTE> attributes;

  explicit KeyTemplate(const std::string& label) {
    attributes = {{CKA_TOKEN, &yes, sizeof(yes)},
                  {CKA_PRIVATE, &yes, sizeof(yes)},
                  {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
  }
  void Secret() {
    attributes.push_back({CKA_SENSITIVE, &yes, sizeof(yes)});
    attributes.push_back({CKA_EXTRACTABLE, &no, sizeof(no)});
  }
  void Add(CK_ATTRIBUTE_TYPE type, CK_BBOOL* value) {
    attributes.push_back({type, value, sizeof(*value)});
  }
};

}  // namespace

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::GenerateAesKey(
    absl::string_view label) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  const std::string text(label);
  KeyTemplate key(text);
  key.Secret();
  key.Add(CKA_ENCRYPT, &key.yes);
  key.Add(CKA_DECRYPT, &key.yes);
  CK_ULONG bytes = 32;
  key.attributes.push_back({CKA_VALUE_LEN, &bytes, sizeof(bytes)});
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv = impl_->module_->C_GenerateKey(
      (*session)->get(), &mechanism, key.attributes.data(),
      key.attributes.size(), &handle);
  if (rv != CKR_OK) return Failed("make an AES key", rv);
  return handle;
}

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::GenerateHmacKey(
    absl::string_view label) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  const std::string text(label);
  KeyTemplate key(text);
  key.Secret();
  key.Add(CKA_SIGN, &key.yes);
  key.Add(CKA_VERIFY, &key.yes);
  CK_KEY_TYPE type = CKK_GENERIC_SECRET;
  key.attributes.push_back({CKA_KEY_TYPE, &type, sizeof(type)});
  CK_ULONG bytes = 32;
  key.attributes.push_back({CKA_VALUE_LEN, &bytes, sizeof(bytes)});
  CK_MECHANISM mechanism = {CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv = impl_->module_->C_GenerateKey(
      (*session)->get(), &mechanism, key.attributes.data(),
      key.attributes.size(), &handle);
  if (rv != CKR_OK) return Failed("make an HMAC key", rv);
  return handle;
}

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::GenerateEd25519Key(
    absl::string_view label) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  const std::string text(label);
  KeyTemplate public_key(text);
  public_key.attributes.erase(public_key.attributes.begin() + 1);  // public
  public_key.Add(CKA_VERIFY, &public_key.yes);
  public_key.attributes.push_back({CKA_EC_PARAMS,
                                   const_cast<unsigned char*>(kEd25519Oid),
                                   sizeof(kEd25519Oid)});
  KeyTemplate private_key(text);
  private_key.Secret();
  private_key.Add(CKA_SIGN, &private_key.yes);
  CK_MECHANISM mechanism = {CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE public_handle = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE private_handle = CK_INVALID_HANDLE;
  const CK_RV rv = impl_->module_->C_GenerateKeyPair(
      (*session)->get(), &mechanism, public_key.attributes.data(),
      public_key.attributes.size(), private_key.attributes.data(),
      private_key.attributes.size(), &public_handle, &private_handle);
  if (rv != CKR_OK) return Failed("make an Ed25519 key pair", rv);
  return private_handle;
}

namespace {

absl::StatusOr<Pkcs11Token::Handle> CreateObject(
    CK_FUNCTION_LIST* f, CK_SESSION_HANDLE session,
    std::vector<CK_ATTRIBUTE>& attributes, absl::string_view what) {
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv =
      f->C_CreateObject(session, attributes.data(), attributes.size(), &handle);
  if (rv != CKR_OK) return Failed(what, rv);
  return handle;
}

}  // namespace

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::ImportSecretKey(
    absl::string_view label, absl::string_view bytes, unsigned long key_type,
    bool for_mac) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  const std::string text(label);
  KeyTemplate key(text);
  key.Secret();
  key.Add(for_mac ? CKA_SIGN : CKA_ENCRYPT, &key.yes);
  key.Add(for_mac ? CKA_VERIFY : CKA_DECRYPT, &key.yes);
  CK_OBJECT_CLASS object_class = CKO_SECRET_KEY;
  CK_KEY_TYPE type = key_type;
  key.attributes.push_back({CKA_CLASS, &object_class, sizeof(object_class)});
  key.attributes.push_back({CKA_KEY_TYPE, &type, sizeof(type)});
  key.attributes.push_back({CKA_VALUE, Bytes(bytes), bytes.size()});
  return CreateObject(impl_->module_, (*session)->get(), key.attributes,
                      for_mac ? "import an HMAC key" : "import an AES key");
}

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::ImportAesKey(
    absl::string_view label, absl::string_view bytes) {
  return ImportSecretKey(label, bytes, CKK_AES, /*for_mac=*/false);
}

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::ImportHmacKey(
    absl::string_view label, absl::string_view bytes) {
  return ImportSecretKey(label, bytes, CKK_GENERIC_SECRET, /*for_mac=*/true);
}

absl::StatusOr<Pkcs11Token::Handle> Pkcs11Token::ImportEd25519Key(
    absl::string_view label, absl::string_view private_key,
    absl::string_view public_key) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  const std::string text(label);
  CK_KEY_TYPE type = CKK_EC_EDWARDS;
  CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
  KeyTemplate public_template(text);
  public_template.attributes.erase(public_template.attributes.begin() + 1);
  public_template.Add(CKA_VERIFY, &public_template.yes);
  std::string point = absl::StrCat(absl::string_view("\x04\x20", 2),
                                   public_key);  // an OCTET STRING
  public_template.attributes.push_back(
      {CKA_CLASS, &public_class, sizeof(public_class)});
  public_template.attributes.push_back({CKA_KEY_TYPE, &type, sizeof(type)});
  public_template.attributes.push_back({CKA_EC_PARAMS,
                                        const_cast<unsigned char*>(kEd25519Oid),
                                        sizeof(kEd25519Oid)});
  public_template.attributes.push_back(
      {CKA_EC_POINT, point.data(), point.size()});
  absl::StatusOr<Handle> public_handle =
      CreateObject(impl_->module_, (*session)->get(),
                   public_template.attributes, "import an Ed25519 public key");
  if (!public_handle.ok()) return public_handle.status();
  CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
  KeyTemplate private_template(text);
  private_template.Secret();
  private_template.Add(CKA_SIGN, &private_template.yes);
  private_template.attributes.push_back(
      {CKA_CLASS, &private_class, sizeof(private_class)});
  private_template.attributes.push_back({CKA_KEY_TYPE, &type, sizeof(type)});
  private_template.attributes.push_back(
      {CKA_EC_PARAMS, const_cast<unsigned char*>(kEd25519Oid),
       sizeof(kEd25519Oid)});
  private_template.attributes.push_back(
      {CKA_VALUE, Bytes(private_key), private_key.size()});
  return CreateObject(impl_->module_, (*session)->get(),
                      private_template.attributes,
                      "import an Ed25519 private key");
}

absl::StatusOr<std::string> Pkcs11Token::Seal(
    Handle key, absl::string_view nonce, absl::string_view plaintext,
    absl::string_view associated_data) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  CK_GCM_PARAMS gcm = {Bytes(nonce),           nonce.size(),
                       nonce.size() * 8,       Bytes(associated_data),
                       associated_data.size(), kGcmTagBytes * 8};
  CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof(gcm)};
  CK_FUNCTION_LIST* f = impl_->module_;
  CK_RV rv = f->C_EncryptInit((*session)->get(), &mechanism, key);
  if (rv != CKR_OK) return Failed("seal", rv);
  std::string sealed(plaintext.size() + kGcmTagBytes, '\0');
  CK_ULONG size = sealed.size();
  rv = f->C_Encrypt((*session)->get(), Bytes(plaintext), plaintext.size(),
                    reinterpret_cast<CK_BYTE_PTR>(sealed.data()), &size);
  if (rv != CKR_OK) return Failed("seal", rv);
  sealed.resize(size);
  return sealed;
}

absl::StatusOr<std::string> Pkcs11Token::Open(
    Handle key, absl::string_view nonce, absl::string_view sealed,
    absl::string_view associated_data) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  CK_GCM_PARAMS gcm = {Bytes(nonce),           nonce.size(),
                       nonce.size() * 8,       Bytes(associated_data),
                       associated_data.size(), kGcmTagBytes * 8};
  CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof(gcm)};
  CK_FUNCTION_LIST* f = impl_->module_;
  CK_RV rv = f->C_DecryptInit((*session)->get(), &mechanism, key);
  if (rv != CKR_OK) return Failed("open", rv);
  std::string plain(sealed.size(), '\0');
  CK_ULONG size = plain.size();
  rv = f->C_Decrypt((*session)->get(), Bytes(sealed), sealed.size(),
                    reinterpret_cast<CK_BYTE_PTR>(plain.data()), &size);
  if (rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED ||
      rv == CKR_SESSION_HANDLE_INVALID) {
    return Failed("open", rv);
  }
  if (rv != CKR_OK) {
    return absl::DataLossError(
        "a wrapped key does not verify under its key-encryption key");
  }
  plain.resize(size);
  return plain;
}

absl::StatusOr<std::string> Pkcs11Token::Hmac(Handle key,
                                              absl::string_view data) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  CK_MECHANISM mechanism = {CKM_SHA256_HMAC, nullptr, 0};
  CK_FUNCTION_LIST* f = impl_->module_;
  CK_RV rv = f->C_SignInit((*session)->get(), &mechanism, key);
  if (rv != CKR_OK) return Failed("HMAC", rv);
  std::string mac(32, '\0');
  CK_ULONG size = mac.size();
  rv = f->C_Sign((*session)->get(), Bytes(data), data.size(),
                 reinterpret_cast<CK_BYTE_PTR>(mac.data()), &size);
  if (rv != CKR_OK) return Failed("HMAC", rv);
  mac.resize(size);
  return mac;
}

absl::StatusOr<std::string> Pkcs11Token::Sign(Handle key,
                                              absl::string_view data) {
  absl::StatusOr<std::unique_ptr<Impl::Session>> session = impl_->Acquire();
  if (!session.ok()) return session.status();
  CK_MECHANISM mechanism = {CKM_EDDSA, nullptr, 0};
  CK_FUNCTION_LIST* f = impl_->module_;
  CK_RV rv = f->C_SignInit((*session)->get(), &mechanism, key);
  if (rv != CKR_OK) return Failed("sign", rv);
  std::string signature(64, '\0');
  CK_ULONG size = signature.size();
  rv = f->C_Sign((*session)->get(), Bytes(data), data.size(),
                 reinterpret_cast<CK_BYTE_PTR>(signature.data()), &size);
  if (rv != CKR_OK) return Failed("sign", rv);
  signature.resize(size);
  return signature;
}

absl::StatusOr<std::string> Pkcs11Token::Ed25519PublicKey(
    absl::string_view label) {
  const std::string text(label);
  absl::StatusOr<std::optional<Handle>> found =
      One(impl_->Find(CKO_PUBLIC_KEY, &text), label);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys: the token holds no public key labelled ", label));
  }
  absl::StatusOr<std::string> point = impl_->Attribute(**found, CKA_EC_POINT);
  if (!point.ok()) return point.status();
  // An OCTET STRING around the 32 bytes, or the bytes themselves.
  if (point->size() == 34 && (*point)[0] == 0x04 && (*point)[1] == 32)
    return point->substr(2);
  if (point->size() == 32) return *point;
  return absl::FailedPreconditionError(
      absl::StrCat("keys: ", label, " is not an Ed25519 public key"));
}

absl::StatusOr<std::string> ReadTokenPin(const std::string& pin_file,
                                         const std::string& credential) {
  std::string path = pin_file;
  if (path.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("keys.pin_file: not set, and no systemd credential '",
                       credential, "' (LoadCredential=)"));
    }
    path = absl::StrCat(dir, "/", credential);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys.pin_file: cannot read ", path));
  }
  if ((st.st_mode & 0077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys.pin_file: ", path, " must be readable by the hub only (0600)"));
  }
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::string pin(
      absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  if (pin.empty())
    return absl::FailedPreconditionError(
        absl::StrCat("keys.pin_file: ", path, " is empty"));
  return pin;
}

absl::StatusOr<std::shared_ptr<Pkcs11Token>> OpenTokenWithPinFrom(
    const std::string& uri, const std::string& pin_file) {
  absl::StatusOr<std::string> pin = ReadTokenPin(pin_file, kTokenPinCredential);
  if (!pin.ok()) return pin.status();
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(uri, *pin);
  OPENSSL_cleanse(pin->data(), pin->size());
  return token;
}

}  // namespace ketenhub
