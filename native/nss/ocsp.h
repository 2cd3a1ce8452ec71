// OCSP settings: NSS's process-wide default responder, timeout and response cache.
#pragma once
#include <napi.h>

#include <atomic>
#include <shared_mutex>

namespace nss {

// NSS's OCSP settings (the default responder's URL and certificate, the classic checker switch) are read by
// verifications on any thread and guarded by nothing in NSS (ocsp.c frees the old responder certificate as it
// sets a new one): verifications hold this shared, the setters exclusive.
std::shared_mutex& OCSPStateMutex();

// Holds the OCSP settings for reading while it lives. A setter called from inside (a password callback during
// a verification) throws instead of waiting for itself.
class OCSPStateReader {
 public:
  OCSPStateReader();
  ~OCSPStateReader();
  OCSPStateReader(const OCSPStateReader&) = delete;
  OCSPStateReader& operator=(const OCSPStateReader&) = delete;
  // Whether this thread holds a reader now.
  static bool Held();

 private:
  std::shared_lock<std::shared_mutex> lock_;
};

// Whether node-nss set a default responder (NSS has no getter).
bool OCSPDefaultResponderSet();
// Turns a default responder node-nss set off again (before NSS shuts down).
void ForgetOCSPDefaultResponder();

// ocspSetDefaultResponder, ocspClearDefaultResponder, ocspSetTimeout, ocspCacheSettings, ocspClearCache.
void InitOCSP(Napi::Env env, Napi::Object exports);

}  // namespace nss
