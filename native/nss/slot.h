// PK11Slot: a PK11SlotInfo reference (a token: the internal softoken, a smart card, an HSM).
#pragma once
#include <napi.h>
#include <pk11pub.h>

#include "context.h"

namespace nss {

class Slot : public Napi::ObjectWrap<Slot>, public Handle {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `slot`, taking over the caller's reference.
  static Napi::Object New(Napi::Env env, PK11SlotInfo* slot);
  // The slot behind a JS wrapper; throws TypeError naming `argName` if `value` is not one.
  static PK11SlotInfo* FromValue(Napi::Value value, const char* argName);

  explicit Slot(const Napi::CallbackInfo& info);
  ~Slot() override;
  void Release() override;
  PK11SlotInfo* OwningSlot() const override { return slot_; }
  PK11SlotInfo* Get(Napi::Env env) const;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value NeedLogin(const Napi::CallbackInfo& info);
  Napi::Value IsLoggedIn(const Napi::CallbackInfo& info);
  Napi::Value Login(const Napi::CallbackInfo& info);
  Napi::Value Logout(const Napi::CallbackInfo& info);
  Napi::Value ChangePassword(const Napi::CallbackInfo& info);
  Napi::Value ListCertificates(const Napi::CallbackInfo& info);

  PK11SlotInfo* slot_ = nullptr;
};

void InitSlots(Napi::Env env, Napi::Object exports);

}  // namespace nss
