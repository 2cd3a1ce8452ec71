#include "ocsp.h"

#include <cert.h>
#include <certdb.h>
#include <ocsp.h>
#include <secerr.h>

#include <string>

#include "context.h"
#include "errors.h"
#include "ocsp_http.h"

namespace nss {

namespace {

// A setter called from a password callback inside a verification on this thread would wait for itself.
void RefuseInsideVerification(Napi::Env env) {
  if (OCSPStateReader::Held()) {
    throw Napi::Error::New(env, "OCSP settings cannot change inside a certificate verification");
  }
}

// Process-wide, as NSS's setting is.
std::atomic<bool> defaultResponderSet{false};

// ocspSetDefaultResponder(url, signerNickname): every OCSP request goes to `url`, whose responses must be signed
// by the certificate of that nickname. NSS keeps the default responder in its OCSP checking context, which only
// CERT_EnableOCSPChecking makes; that call also turns OCSP on for the classic verifier (CERT_VerifyCert, so
// SSL_AuthCertificate), whose fetches would block the JavaScript thread. Disabling it again keeps the context
// and the responder (ocsp.c: CERT_DisableOCSPChecking only clears the checker), and PKIX verification, which
// node-nss's revocation checks use, asks the context for the responder whatever the classic switch says.
Napi::Value SetDefaultResponder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  std::string url = info[0].As<Napi::String>().Utf8Value();
  std::string nickname = info[1].As<Napi::String>().Utf8Value();
  RefuseInsideVerification(env);
  // Waits for verifications in flight (an OCSP fetch among them) to finish.
  std::unique_lock<std::shared_mutex> lock(OCSPStateMutex());
  CERTCertDBHandle* handle = CERT_GetDefaultCertDB();
  if (CERT_EnableOCSPChecking(handle) != SECSuccess) ThrowLastError(env, "CERT_EnableOCSPChecking");
  SECStatus status = CERT_SetOCSPDefaultResponder(handle, url.c_str(), nickname.c_str());
  PRErrorCode error = status == SECSuccess ? 0 : PR_GetError();
  if (status == SECSuccess) {
    status = CERT_EnableOCSPDefaultResponder(handle);
    error = status == SECSuccess ? 0 : PR_GetError();
  }
  CERT_DisableOCSPChecking(handle);
  if (status != SECSuccess) {
    // NSS sets no error for a nickname it cannot find.
    PORT_SetError(error != 0 ? error : SEC_ERROR_UNKNOWN_CERT);
    ThrowLastError(env, "CERT_SetOCSPDefaultResponder");
  }
  defaultResponderSet = true;
  return env.Undefined();
}

// ocspClearDefaultResponder(): OCSP requests go to each certificate's AIA URL again.
Napi::Value ClearDefaultResponder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  RefuseInsideVerification(env);
  ForgetOCSPDefaultResponder();
  return env.Undefined();
}

// ocspSetTimeout(seconds): how long one OCSP fetch may take (node-nss's default: 10 s), for NSS's classic
// fetcher (CERT_SetOCSPTimeout) and for node-nss's HTTP client, which libpkix's fetches go through too.
Napi::Value SetTimeout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PRUint32 seconds = info[0].As<Napi::Number>().Uint32Value();
  if (CERT_SetOCSPTimeout(seconds) != SECSuccess) ThrowLastError(env, "CERT_SetOCSPTimeout");
  SetOCSPFetchTimeout(seconds);
  return env.Undefined();
}

// ocspCacheSettings(maxEntries, minSeconds, maxSeconds): NSS's OCSP response cache (maxEntries -1: no cache,
// 0: unlimited); fresh responses are kept between minSeconds and maxSeconds before the next fetch.
Napi::Value CacheSettings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  if (CERT_OCSPCacheSettings(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Uint32Value(),
                             info[2].As<Napi::Number>().Uint32Value()) != SECSuccess) {
    ThrowLastError(env, "CERT_OCSPCacheSettings");
  }
  return env.Undefined();
}

// ocspClearCache(): forgets every OCSP response, fetched or stapled.
Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  // (NSS's OCSP cache has a lock of its own.)
  if (CERT_ClearOCSPCache() != SECSuccess) ThrowLastError(env, "CERT_ClearOCSPCache");
  return env.Undefined();
}

}  // namespace

bool OCSPDefaultResponderSet() { return defaultResponderSet; }

std::shared_mutex& OCSPStateMutex() {
  static std::shared_mutex mutex;
  return mutex;
}

namespace {
thread_local int readersOnThisThread = 0;
}  // namespace

OCSPStateReader::OCSPStateReader() : lock_(OCSPStateMutex()) { readersOnThisThread++; }
OCSPStateReader::~OCSPStateReader() { readersOnThisThread--; }
bool OCSPStateReader::Held() { return readersOnThisThread > 0; }

void ForgetOCSPDefaultResponder() {
  // Inside a verification on this thread (shutdown() from a password callback) the responder stays: NSS may be
  // using it right now, and its own shutdown, if it comes, clears it.
  if (OCSPStateReader::Held()) {
    defaultResponderSet = false;
    return;
  }
  std::unique_lock<std::shared_mutex> lock(OCSPStateMutex());
  if (defaultResponderSet.exchange(false)) CERT_DisableOCSPDefaultResponder(CERT_GetDefaultCertDB());
}

void InitOCSP(Napi::Env env, Napi::Object exports) {
  exports.Set("ocspSetDefaultResponder", Napi::Function::New(env, SetDefaultResponder));
  exports.Set("ocspClearDefaultResponder", Napi::Function::New(env, ClearDefaultResponder));
  exports.Set("ocspSetTimeout", Napi::Function::New(env, SetTimeout));
  exports.Set("ocspCacheSettings", Napi::Function::New(env, CacheSettings));
  exports.Set("ocspClearCache", Napi::Function::New(env, ClearCache));
}

}  // namespace nss
