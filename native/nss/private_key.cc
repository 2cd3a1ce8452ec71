#include "private_key.h"

#include <pk11pub.h>

#include "errors.h"
#include "slot.h"

namespace nss {

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
  Napi::Function cls = DefineClass(env, "NativePrivateKey",
                                   {
                                       InstanceMethod<&PrivateKey::KeyType>("keyType"),
                                       InstanceMethod<&PrivateKey::Slot>("slot"),
                                   });
  AddonData::Get(env)->privateKeyClass = Napi::Persistent(cls);
  exports.Set("NativePrivateKey", cls);
}

Napi::Object PrivateKey::New(Napi::Env env, SECKEYPrivateKey* key) {
  try {
    return AddonData::Get(env)->privateKeyClass.New({Napi::External<SECKEYPrivateKey>::New(env, key)});
  } catch (...) {
    SECKEY_DestroyPrivateKey(key);  // no wrapper took the reference
    throw;
  }
}

SECKEYPrivateKey* PrivateKey::FromValue(Napi::Value value, const char* argName) {
  Napi::Env env = value.Env();
  if (value.IsObject() && value.As<Napi::Object>().InstanceOf(AddonData::Get(env)->privateKeyClass.Value())) {
    return Napi::ObjectWrap<PrivateKey>::Unwrap(value.As<Napi::Object>())->Get(env);
  }
  throw Napi::TypeError::New(env, std::string("The \"") + argName + "\" argument must be a PrivateKey");
}

PrivateKey::PrivateKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PrivateKey>(info) {
  if (!info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "PrivateKey objects come from CertDB.findKeyByAnyCert()");
  }
  key_ = info[0].As<Napi::External<SECKEYPrivateKey>>().Data();
  Track(info.Env());
}

PrivateKey::~PrivateKey() {
  Untrack();
  Release();
}

void PrivateKey::Release() {
  if (key_ != nullptr) SECKEY_DestroyPrivateKey(key_);
  key_ = nullptr;
}

SECKEYPrivateKey* PrivateKey::Get(Napi::Env env) const {
  ThrowIfReleased(env, key_ == nullptr);
  return key_;
}

Napi::Value PrivateKey::KeyType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), KeyTypeName(SECKEY_GetPrivateKeyType(Get(info.Env()))));
}

Napi::Value PrivateKey::Slot(const Napi::CallbackInfo& info) {
  PK11SlotInfo* slot = PK11_GetSlotFromPrivateKey(Get(info.Env()));
  if (slot == nullptr) return info.Env().Null();
  return Slot::New(info.Env(), slot);
}

}  // namespace nss
