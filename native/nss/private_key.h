// PrivateKey: a SECKEYPrivateKey reference (with its public half when NSS handed both over, as key
// generation does). Key material never crosses into JS.
#pragma once
#include <keyhi.h>
#include <napi.h>

#include "handle_wrap.h"

namespace nss {

// 'rsa', 'ec', ... for an NSS KeyType.
const char* KeyTypeName(KeyType type);

class PrivateKey : public HandleWrap<PrivateKey, SECKEYPrivateKey, SECKEY_DestroyPrivateKey> {
 public:
  static constexpr HandleClass kClass{"NativePrivateKey", "PrivateKey",
                                      "PrivateKey objects come from CertDB.findKeyByAnyCert() or generateKeyPair()",
                                      &AddonData::privateKeyClass};
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `key` (and `pub`, when given), taking over the caller's references.
  static Napi::Object New(Napi::Env env, SECKEYPrivateKey* key, SECKEYPublicKey* pub = nullptr);

  using HandleWrap::HandleWrap;
  ~PrivateKey() override { Release(); }
  void Release() override;
  PK11SlotInfo* OwningSlot() const override { return object_ != nullptr ? object_->pkcs11Slot : nullptr; }
  // A new public key for this private key (the caller destroys it); throws NSPRError when NSS cannot
  // find or rebuild it.
  SECKEYPublicKey* PublicKey(Napi::Env env) const;

 private:
  Napi::Value KeyType(const Napi::CallbackInfo& info);
  Napi::Value Slot(const Napi::CallbackInfo& info);
  Napi::Value PublicKeyInfo(const Napi::CallbackInfo& info);
  Napi::Value Nickname(const Napi::CallbackInfo& info);
  Napi::Value Id(const Napi::CallbackInfo& info);
  Napi::Value Certificate(const Napi::CallbackInfo& info);
  Napi::Value SignDigest(const Napi::CallbackInfo& info);

  // The public key object generation made: for a session key pair it is the only place the public half
  // lives, so it stays with the private key.
  SECKEYPublicKey* pub_ = nullptr;
};

// generateKeyPair(...): PK11_GenerateKeyPairWithOpFlags on a libuv worker.
void InitPrivateKeys(Napi::Env env, Napi::Object exports);

}  // namespace nss
