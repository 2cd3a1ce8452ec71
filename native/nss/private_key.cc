#include "private_key.h"

#include <pk11pub.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>
#include <keythi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "certificate.h"
#include "errors.h"
#include "slot.h"

namespace nss {

namespace {

// Generates a key pair on a libuv worker: RSA generation takes from milliseconds to seconds, and a token
// may be slow. The token login happened on the JavaScript thread before (the password callback lives
// there); the worker passes no pin argument, so NSS cannot ask for a PIN from here.
class KeyGenWorker : public NSSWorker {
 public:
  KeyGenWorker(Napi::Env env, PK11SlotInfo* slot, CK_MECHANISM_TYPE mechanism, int rsaBits,
               std::vector<unsigned char> ecParams, PK11AttrFlags attrFlags, std::string nickname)
      : NSSWorker(env, "the key pair was being generated"), slot_(PK11_ReferenceSlot(slot)), mechanism_(mechanism),
        rsaBits_(rsaBits), ecParams_(std::move(ecParams)), attrFlags_(attrFlags), nickname_(std::move(nickname)) {}
  ~KeyGenWorker() override { ReleaseNSS(); }

 protected:
  void Work() override {
    PK11RSAGenParams rsa = {rsaBits_, 65537};
    SECItem ec = {siBuffer, ecParams_.data(), static_cast<unsigned int>(ecParams_.size())};
    void* params = mechanism_ == CKM_RSA_PKCS_KEY_PAIR_GEN ? static_cast<void*>(&rsa) : static_cast<void*>(&ec);
    PORT_SetError(0);
    priv_ = PK11_GenerateKeyPairWithOpFlags(slot_, mechanism_, params, &pub_, attrFlags_, 0, 0, nullptr);
    if (priv_ == nullptr) {
      error_ = PR_GetError() ? PR_GetError() : SEC_ERROR_LIBRARY_FAILURE;
      step_ = "generating the key pair";
      return;
    }
    if (!nickname_.empty() && (PK11_SetPrivateKeyNickname(priv_, nickname_.c_str()) != SECSuccess ||
                               PK11_SetPublicKeyNickname(pub_, nickname_.c_str()) != SECSuccess)) {
      error_ = PR_GetError() ? PR_GetError() : SEC_ERROR_LIBRARY_FAILURE;
      step_ = "labelling the key pair";
      // Leave no unlabelled pair behind on the token.
      PK11_DeleteTokenPrivateKey(priv_, PR_FALSE);
      PK11_DeleteTokenPublicKey(pub_);
      priv_ = nullptr;
      pub_ = nullptr;
    }
  }

  // A permanent pair generated before a shutdown stays on its token; only the references go.
  void ReleaseNSS() override {
    if (priv_ != nullptr) SECKEY_DestroyPrivateKey(priv_);
    if (pub_ != nullptr) SECKEY_DestroyPublicKey(pub_);
    if (slot_ != nullptr) PK11_FreeSlot(slot_);
    priv_ = nullptr;
    pub_ = nullptr;
    slot_ = nullptr;
  }

  void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    if (error_ != 0) {
      deferred.Reject(MakeNSPRError(env, error_, step_).Value());
      return;
    }
    SECKEYPrivateKey* priv = priv_;
    SECKEYPublicKey* pub = pub_;
    priv_ = nullptr;
    pub_ = nullptr;
    deferred.Resolve(PrivateKey::New(env, priv, pub));
  }

 private:
  PK11SlotInfo* slot_;
  CK_MECHANISM_TYPE mechanism_;
  int rsaBits_;
  std::vector<unsigned char> ecParams_;
  PK11AttrFlags attrFlags_;
  std::string nickname_;
  SECKEYPrivateKey* priv_ = nullptr;
  SECKEYPublicKey* pub_ = nullptr;
  PRErrorCode error_ = 0;
  std::string step_;
};

// The DER OBJECT IDENTIFIER of a named curve: PKCS #11's CKA_EC_PARAMS for key generation.
std::vector<unsigned char> CurveParams(Napi::Env env, const std::string& curve) {
  SECOidTag tag = curve == "P-256"   ? SEC_OID_ANSIX962_EC_PRIME256V1
                  : curve == "P-384" ? SEC_OID_SECG_EC_SECP384R1
                  : curve == "P-521" ? SEC_OID_SECG_EC_SECP521R1
                                     : SEC_OID_UNKNOWN;
  SECOidData* oid = tag == SEC_OID_UNKNOWN ? nullptr : SECOID_FindOIDByTag(tag);
  if (oid == nullptr) throw Napi::RangeError::New(env, "The \"curve\" argument names no curve NSS knows: " + curve);
  std::vector<unsigned char> out{SEC_ASN1_OBJECT_ID, static_cast<unsigned char>(oid->oid.len)};
  out.insert(out.end(), oid->oid.data, oid->oid.data + oid->oid.len);
  return out;
}

// generateKeyPair({ type, bits, curve, slot, permanent, extractable, nickname }, pinArgs) → Promise<key>.
Napi::Value GenerateKeyPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::Object opts = info[0].As<Napi::Object>();
  std::string type = opts.Get("type").As<Napi::String>().Utf8Value();
  Napi::Value slotValue = opts.Get("slot");
  PK11SlotInfo* slot =
      slotValue.IsObject() ? PK11_ReferenceSlot(Slot::FromValue(slotValue, "slot")) : PK11_GetInternalKeySlot();
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slotRef(slot, PK11_FreeSlot);

  CK_MECHANISM_TYPE mechanism;
  int rsaBits = 0;
  std::vector<unsigned char> ecParams;
  if (type == "rsa") {
    mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    rsaBits = opts.Get("bits").As<Napi::Number>().Int32Value();
  } else {
    mechanism = CKM_EC_KEY_PAIR_GEN;
    ecParams = CurveParams(env, opts.Get("curve").As<Napi::String>().Utf8Value());
  }
  PK11AttrFlags attrFlags = PK11_ATTR_SENSITIVE | PK11_ATTR_PRIVATE;
  attrFlags |= opts.Get("permanent").ToBoolean() ? PK11_ATTR_TOKEN : PK11_ATTR_SESSION;
  attrFlags |= opts.Get("extractable").ToBoolean() ? PK11_ATTR_EXTRACTABLE : PK11_ATTR_UNEXTRACTABLE;
  std::string nickname = opts.Get("nickname").IsString() ? opts.Get("nickname").As<Napi::String>().Utf8Value() : "";

  // Log in here, where the user's password callback can answer; the worker cannot.
  PinArg pin(env, info[1]);
  if (PK11_Authenticate(slot, PR_TRUE, pin.wincx()) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_TOKEN_NOT_LOGGED_IN,
                        std::string("logging in to ") + PK11_GetTokenName(slot));
  }
  pin.RethrowCallbackError();
  KeyGenWorker* worker =
      new KeyGenWorker(env, slot, mechanism, rsaBits, std::move(ecParams), attrFlags, std::move(nickname));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// importEncryptedPrivateKey(epki, password, publicValue, keyType, slot | null, permanent, nickname | null,
// pinArgs) → key. The key arrives as a PKCS #8 EncryptedPrivateKeyInfo (PBES2, encrypted in TypeScript with a
// one-time password) and is unwrapped inside the token: a FIPS-mode softoken refuses a private key created
// from plaintext (C_CreateObject), but accepts one unwrapped, as pk12util's imports are. `publicValue` (the
// RSA modulus, or the EC point) gives the key its CKA_ID, the link PK11_FindKeyByAnyCert follows from a
// certificate. A session key (not permanent) is a public object outside FIPS mode: no login is asked for.
Napi::Value ImportEncryptedPrivateKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  SECItem password = BufferItem(info[1]);
  SECItem publicValue = BufferItem(info[2]);
  std::string type = info[3].As<Napi::String>().Utf8Value();
  ::KeyType keyType = type == "rsa" ? rsaKey : type == "ec" ? ecKey : nullKey;
  if (keyType == nullKey) throw Napi::RangeError::New(env, "NSS takes RSA and EC private keys only, not " + type);
  PK11SlotInfo* slot =
      info[4].IsObject() ? PK11_ReferenceSlot(Slot::FromValue(info[4], "slot")) : PK11_GetInternalKeySlot();
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slotRef(slot, PK11_FreeSlot);
  bool permanent = info[5].ToBoolean();
  std::string nickname = info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
  PinArg pin(env, info[7]);

  std::unique_ptr<PLArenaPool, void (*)(PLArenaPool*)> arena(PORT_NewArena(2048),
                                                              [](PLArenaPool* a) { PORT_FreeArena(a, PR_TRUE); });
  if (!arena) ThrowLastError(env, "allocating");
  SECKEYEncryptedPrivateKeyInfo epki;
  std::memset(&epki, 0, sizeof epki);
  if (SEC_QuickDERDecodeItem(arena.get(), &epki, SEC_ASN1_GET(SECKEY_EncryptedPrivateKeyInfoTemplate), &der) !=
      SECSuccess) {
    throw MakeNSPRError(env, SEC_ERROR_BAD_DER, "decoding the encrypted private key");
  }
  if ((permanent || PK11_IsFIPS()) && PK11_Authenticate(slot, PR_TRUE, pin.wincx()) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_TOKEN_NOT_LOGGED_IN,
                        std::string("logging in to ") + PK11_GetTokenName(slot));
  }
  // A FIPS-mode softoken takes private keys as private objects only (CKA_PRIVATE false: SEC_ERROR_BAD_DATA,
  // measured on NSS 3.87); the login above makes that possible.
  PRBool isPrivate = permanent || PK11_IsFIPS() ? PR_TRUE : PR_FALSE;
  SECItem label = {siBuffer, reinterpret_cast<unsigned char*>(&nickname[0]), static_cast<unsigned int>(nickname.size())};
  SECKEYPrivateKey* key = nullptr;
  PORT_SetError(0);
  SECStatus status = PK11_ImportEncryptedPrivateKeyInfoAndReturnKey(
      slot, &epki, &password, nickname.empty() ? nullptr : &label, &publicValue, permanent ? PR_TRUE : PR_FALSE,
      isPrivate, keyType, KU_ALL, &key, pin.wincx());
  pin.RethrowCallbackError();
  if (status != SECSuccess || key == nullptr) {
    if (key != nullptr) SECKEY_DestroyPrivateKey(key);
    throw MakeNSPRError(env, PR_GetError() ? PR_GetError() : SEC_ERROR_BAD_KEY, "importing the private key");
  }
  return PrivateKey::New(env, key);
}

}  // namespace

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case rsaKey: return "rsa";
    case rsaPssKey: return "rsa-pss";
    case rsaOaepKey: return "rsa-oaep";
    case dsaKey: return "dsa";
    case dhKey: return "dh";
    case ecKey: return "ec";
    default: return "unknown";
  }
}

void PrivateKey::Init(Napi::Env env, Napi::Object exports) {
  Export(env, exports,
         {
             InstanceMethod<&PrivateKey::KeyType>("keyType"),
             InstanceMethod<&PrivateKey::Slot>("slot"),
             InstanceMethod<&PrivateKey::PublicKeyInfo>("publicKeyInfo"),
             InstanceMethod<&PrivateKey::Nickname>("nickname"),
             InstanceMethod<&PrivateKey::Id>("id"),
             InstanceMethod<&PrivateKey::Certificate>("certificate"),
             InstanceMethod<&PrivateKey::SignDigest>("signDigest"),
         });
}

Napi::Object PrivateKey::New(Napi::Env env, SECKEYPrivateKey* key, SECKEYPublicKey* pub) {
  // When no wrapper takes the references, HandleWrap::New gives `key` back and `owned` then gives `pub` back.
  std::unique_ptr<SECKEYPublicKey, void (*)(SECKEYPublicKey*)> owned(pub, SECKEY_DestroyPublicKey);
  Napi::Object object = HandleWrap::New(env, key);
  Unwrap(object)->pub_ = owned.release();
  return object;
}

void PrivateKey::Release() {
  HandleWrap::Release();
  if (pub_ != nullptr) SECKEY_DestroyPublicKey(pub_);
  pub_ = nullptr;
}

Napi::Value PrivateKey::KeyType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), KeyTypeName(SECKEY_GetPrivateKeyType(Get(info.Env()))));
}

Napi::Value PrivateKey::Slot(const Napi::CallbackInfo& info) {
  PK11SlotInfo* slot = PK11_GetSlotFromPrivateKey(Get(info.Env()));
  if (slot == nullptr) return info.Env().Null();
  return Slot::New(info.Env(), slot);
}

SECKEYPublicKey* PrivateKey::PublicKey(Napi::Env env) const {
  SECKEYPrivateKey* key = Get(env);
  PORT_SetError(0);
  SECKEYPublicKey* pub = pub_ != nullptr ? SECKEY_CopyPublicKey(pub_) : SECKEY_ConvertToPublicKey(key);
  if (pub == nullptr) {
    throw MakeNSPRError(env, PR_GetError() ? PR_GetError() : SEC_ERROR_NO_KEY, "finding the public key");
  }
  return pub;
}

// publicKeyInfo() → DER SubjectPublicKeyInfo of the key's public half.
Napi::Value PrivateKey::PublicKeyInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECKEYPublicKey* pub = PublicKey(env);
  SECItem* der = PK11_DEREncodePublicKey(pub);
  SECKEY_DestroyPublicKey(pub);
  if (der == nullptr) ThrowLastError(env, "encoding the public key");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, der->data, der->len);
  SECITEM_FreeItem(der, PR_TRUE);
  return out;
}

// nickname() → the key's label (CKA_LABEL), or null when it has none (or an empty one).
Napi::Value PrivateKey::Nickname(const Napi::CallbackInfo& info) {
  std::unique_ptr<char, void (*)(void*)> nickname(PK11_GetPrivateKeyNickname(Get(info.Env())), PORT_Free);
  if (nickname == nullptr || nickname.get()[0] == '\0') return info.Env().Null();
  return Napi::String::New(info.Env(), nickname.get());
}

// id() → the key's CKA_ID (what certutil -K prints and links a certificate to its key), or null.
Napi::Value PrivateKey::Id(const Napi::CallbackInfo& info) {
  std::unique_ptr<SECItem, void (*)(SECItem*)> id(PK11_GetLowLevelKeyIDForPrivateKey(Get(info.Env())),
                                                  [](SECItem* item) { SECITEM_FreeItem(item, PR_TRUE); });
  if (id == nullptr) return info.Env().Null();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), id->data, id->len);
}

// certificate() → a certificate of this key on its token (PK11_GetCertFromPrivateKey), or null.
Napi::Value PrivateKey::Certificate(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = PK11_GetCertFromPrivateKey(Get(info.Env()));
  if (cert == nullptr) return info.Env().Null();
  return nss::Certificate::New(info.Env(), cert);
}

// signDigest(digest, pinArgs) → PK11_Sign's signature of `digest` as given: PKCS #1 v1.5 padding for RSA,
// r || s for ECDSA. The key signs inside its token (logged in first when the token wants it), so a caller can
// prove the key belongs to a certificate without the key leaving it.
Napi::Value PrivateKey::SignDigest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECKEYPrivateKey* key = Get(env);
  SECItem digest = BufferItem(info[0]);
  PinArg pin(env, info[1]);
  if (PK11_Authenticate(key->pkcs11Slot, PR_TRUE, pin.wincx()) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_TOKEN_NOT_LOGGED_IN, "logging in to sign");
  }
  int length = PK11_SignatureLen(key);
  if (length <= 0) ThrowLastError(env, "sizing the signature");
  std::vector<unsigned char> signature(static_cast<size_t>(length));
  SECItem out = {siBuffer, signature.data(), static_cast<unsigned int>(length)};
  PORT_SetError(0);
  if (PK11_Sign(key, &out, &digest) != SECSuccess) {
    pin.RethrowCallbackError();
    ThrowLastError(env, "signing");
  }
  return Napi::Buffer<uint8_t>::Copy(env, out.data, out.len);
}

void InitPrivateKeys(Napi::Env env, Napi::Object exports) {
  exports.Set("generateKeyPair", Napi::Function::New(env, GenerateKeyPair));
  exports.Set("importEncryptedPrivateKey", Napi::Function::New(env, ImportEncryptedPrivateKey));
}

}  // namespace nss
