// Certificate: a CERTCertificate reference.
#pragma once
#include <cert.h>
#include <napi.h>

#include "context.h"

namespace nss {

class Certificate : public Napi::ObjectWrap<Certificate>, public Handle {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `cert`, taking over the caller's reference.
  static Napi::Object New(Napi::Env env, CERTCertificate* cert);
  // The certificate behind a JS wrapper; throws TypeError naming `argName` if `value` is not one.
  static CERTCertificate* FromValue(Napi::Value value, const char* argName);
  // A JS array of wrappers for every certificate of `list` (each gets its own reference); destroys `list`.
  static Napi::Array FromList(Napi::Env env, CERTCertList* list);

  explicit Certificate(const Napi::CallbackInfo& info);
  ~Certificate() override;
  void Release() override;
  PK11SlotInfo* OwningSlot() const override { return cert_ != nullptr ? cert_->slot : nullptr; }
  CERTCertificate* Get(Napi::Env env) const;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Nickname(const Napi::CallbackInfo& info);
  Napi::Value CheckValidTimes(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value VerifyHostname(const Napi::CallbackInfo& info);
  Napi::Value HasSignerInCaNames(const Napi::CallbackInfo& info);
  Napi::Value GetChain(const Napi::CallbackInfo& info);
  Napi::Value GetTrust(const Napi::CallbackInfo& info);
  Napi::Value SetTrust(const Napi::CallbackInfo& info);
  Napi::Value AssertLive(const Napi::CallbackInfo& info);

  CERTCertificate* cert_ = nullptr;
};

}  // namespace nss
