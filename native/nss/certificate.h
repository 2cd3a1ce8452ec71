// Certificate: a CERTCertificate reference.
#pragma once
#include <cert.h>
#include <napi.h>
#include <prerror.h>

#include <memory>

#include "handle_wrap.h"

namespace nss {

// Revocation checking for PKIXVerify, as TypeScript's RevocationMode names it.
enum class Revocation { kOff = 0, kSoft = 1, kHard = 2 };

// The mode a JS number names (0, 1, 2; anything else: off).
inline Revocation RevocationFromValue(const Napi::Value& value) {
  int mode = value.IsNumber() ? value.As<Napi::Number>().Int32Value() : 0;
  return mode == 2 ? Revocation::kHard : mode == 1 ? Revocation::kSoft : Revocation::kOff;
}

// CERT_PKIXVerifyCert for one usage (a certificateUsage* bit) at `at`: against `anchors` only (node:tls's `ca`),
// or `anchors` and the database's trust when `anchorsOnly` is false, or, when null, the database's trust;
// revocation by NSS's classic policies (CRLs held locally for the whole chain; with kSoft/kHard also OCSP for
// the leaf, fetched from its AIA URL or the default responder, where kHard fails without a fresh answer).
// Blocks while OCSP fetches. Returns 0 or the NSS error.
PRErrorCode PKIXVerify(CERTCertificate* cert, SECCertificateUsage usage, PRTime at, CERTCertList* anchors,
                       bool anchorsOnly, Revocation revocation, void* wincx);

using CertListPtr = std::unique_ptr<CERTCertList, void (*)(CERTCertList*)>;

// A new list holding a reference to each certificate of the JS array `value` (TypeError naming `argName` for
// anything else in it), or an empty pointer when `value` is not an array (null: no list).
CertListPtr CertListFromArray(Napi::Env env, Napi::Value value, const char* argName);

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
  Napi::Value VerifyPKIXAsync(const Napi::CallbackInfo& info);
  Napi::Value VerifyHostname(const Napi::CallbackInfo& info);
  Napi::Value HasSignerInCaNames(const Napi::CallbackInfo& info);
  Napi::Value GetChain(const Napi::CallbackInfo& info);
  Napi::Value GetTrust(const Napi::CallbackInfo& info);
  Napi::Value SetTrust(const Napi::CallbackInfo& info);
  Napi::Value AssertLive(const Napi::CallbackInfo& info);
};

}  // namespace nss
