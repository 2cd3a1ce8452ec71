// PrivateKey: a SECKEYPrivateKey reference. Key material never crosses into JS.
#pragma once
#include <keyhi.h>
#include <napi.h>

#include "context.h"

namespace nss {

// 'rsa', 'ec', ... for an NSS KeyType.
const char* KeyTypeName(KeyType type);

class PrivateKey : public Napi::ObjectWrap<PrivateKey>, public Handle {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `key`, taking over the caller's reference.
  static Napi::Object New(Napi::Env env, SECKEYPrivateKey* key);
  // The key behind a JS wrapper; throws TypeError naming `argName` if `value` is not one.
  static SECKEYPrivateKey* FromValue(Napi::Value value, const char* argName);

  explicit PrivateKey(const Napi::CallbackInfo& info);
  ~PrivateKey() override;
  void Release() override;
  PK11SlotInfo* OwningSlot() const override { return key_ != nullptr ? key_->pkcs11Slot : nullptr; }
  SECKEYPrivateKey* Get(Napi::Env env) const;

 private:
  Napi::Value KeyType(const Napi::CallbackInfo& info);
  Napi::Value Slot(const Napi::CallbackInfo& info);

  SECKEYPrivateKey* key_ = nullptr;
};

}  // namespace nss
