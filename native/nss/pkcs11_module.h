// PKCS11Module: a SECMODModule reference (a smart-card driver, an HSM library, NSS's own softoken), and the
// thread that waits for its token events.
#pragma once
#include <napi.h>
#include <prerror.h>
#include <secmod.h>

#include <atomic>
#include <string>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "handle_wrap.h"

namespace nss {

class PKCS11Module : public HandleWrap<PKCS11Module, SECMODModule, SECMOD_DestroyModule> {
 public:
  static constexpr HandleClass kClass{"NativePKCS11Module", "PKCS11Module",
                                      "PKCS11Module objects come from loadPKCS11Module() or listModules()",
                                      &AddonData::moduleClass};
  static void Init(Napi::Env env, Napi::Object exports);

  using HandleWrap::HandleWrap;
  ~PKCS11Module() override { Release(); }
  void Release() override;
  const SECMODModule* OwningModule() const override { return object_; }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Slots(const Napi::CallbackInfo& info);
  Napi::Value Unload(const Napi::CallbackInfo& info);
  Napi::Value WatchTokens(const Napi::CallbackInfo& info);
  Napi::Value StopWatching(const Napi::CallbackInfo& info);
  void StopWatcher();

  // SECMOD_WaitForAnyTokenEvent blocks, so it runs on a thread of its own (never on the libuv pool).
  std::thread watcher_;
  std::atomic<bool> watching_{false};
  // Wakes the watcher's sleep between polls when watching stops (else stopping waited a whole interval).
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  Napi::ThreadSafeFunction onEvent_;
};

// SECMOD_LoadUserModule for a library; the loaded module, or nullptr with `*error` set.
SECMODModule* LoadUserModule(const std::string& name, const std::string& library, const std::string& parameters,
                             PRErrorCode* error);

void InitModules(Napi::Env env, Napi::Object exports);

}  // namespace nss
