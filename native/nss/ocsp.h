// OCSP settings: NSS's process-wide default responder, timeout and response cache.
#pragma once
#include <napi.h>

#include <atomic>

namespace nss {

// Whether node-nss set a default responder (NSS has no getter).
bool OCSPDefaultResponderSet();
// Turns a default responder node-nss set off again (before NSS shuts down).
void ForgetOCSPDefaultResponder();

// ocspSetDefaultResponder, ocspClearDefaultResponder, ocspSetTimeout, ocspCacheSettings, ocspClearCache.
void InitOCSP(Napi::Env env, Napi::Object exports);

}  // namespace nss
