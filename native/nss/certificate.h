// Certificate: a CERTCertificate reference.
#pragma once
#include <cert.h>
#include <napi.h>

#include "handle_wrap.h"

namespace nss {

class Certificate : public HandleWrap<Certificate, CERTCertificate, CERT_DestroyCertificate> {
 public:
  static constexpr HandleClass kClass{"NativeCertificate", "Certificate",
                                      "Certificate objects come from CertDB or Certificate.fromDER()",
                                      &AddonData::certificateClass};
  static void Init(Napi::Env env, Napi::Object exports);
  // A JS array of wrappers for every certificate of `list` (each gets its own reference); destroys `list`.
  static Napi::Array FromList(Napi::Env env, CERTCertList* list);

  using HandleWrap::HandleWrap;
  PK11SlotInfo* OwningSlot() const override { return object_ != nullptr ? object_->slot : nullptr; }

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
};

}  // namespace nss
