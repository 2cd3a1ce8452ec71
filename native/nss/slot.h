// PK11Slot: a PK11SlotInfo reference (a token: the internal softoken, a smart card, an HSM).
#pragma once
#include <napi.h>
#include <pk11pub.h>

#include "handle_wrap.h"

namespace nss {

class Slot : public HandleWrap<Slot, PK11SlotInfo, PK11_FreeSlot> {
 public:
  static constexpr HandleClass kClass{"NativeSlot", "PK11Slot",
                                      "PK11Slot objects come from getAllTokens() or findSlotByName()",
                                      &AddonData::slotClass};
  static void Init(Napi::Env env, Napi::Object exports);

  using HandleWrap::HandleWrap;
  PK11SlotInfo* OwningSlot() const override { return object_; }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value NeedLogin(const Napi::CallbackInfo& info);
  Napi::Value NeedUserInit(const Napi::CallbackInfo& info);
  Napi::Value IsLoggedIn(const Napi::CallbackInfo& info);
  Napi::Value Login(const Napi::CallbackInfo& info);
  Napi::Value Logout(const Napi::CallbackInfo& info);
  Napi::Value ChangePassword(const Napi::CallbackInfo& info);
  Napi::Value ListCertificates(const Napi::CallbackInfo& info);
  Napi::Value ListPrivateKeys(const Napi::CallbackInfo& info);
};

void InitSlots(Napi::Env env, Napi::Object exports);

}  // namespace nss
