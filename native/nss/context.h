// Per-environment state, the registry of live NSS handles, NSS init/shutdown and PIN routing.
#pragma once
#include <napi.h>
#include <nss.h>
#include <pk11pub.h>
#include <secmodt.h>

#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

namespace nss {

struct AddonData;
struct CycleSink;

// Every wrapped NSS object derives from Handle: it is registered while it owns an NSS reference, so that
// shutdown() and environment teardown can release it before NSS_ShutdownContext.
class Handle {
 public:
  virtual ~Handle() = default;
  // Drops the NSS reference; idempotent.
  virtual void Release() = 0;
  // The PKCS#11 slot the object lives on, if any (certificates, keys, slots).
  virtual PK11SlotInfo* OwningSlot() const { return nullptr; }
  // The PKCS#11 module the object belongs to: its slot's, or the module itself for a module handle.
  virtual const SECMODModule* OwningModule() const;

 protected:
  void Track(Napi::Env env);
  void Untrack();
  // Throws NSPRError code NSS_SHUT_DOWN when the handle was released by shutdown(), or SEC_ERROR_NO_TOKEN
  // when it was released because its token went away with the internal module (setFIPS).
  void ThrowIfReleased(Napi::Env env, bool released) const;

 private:
  friend struct AddonData;
  AddonData* data_ = nullptr;
  bool tokenGone_ = false;
};

struct AddonData {
  Napi::FunctionReference errorClass;
  Napi::FunctionReference certificateClass;
  Napi::FunctionReference privateKeyClass;
  Napi::FunctionReference slotClass;
  Napi::FunctionReference moduleClass;
  Napi::FunctionReference sslEngineClass;
  Napi::FunctionReference cachedCRLClass;
  // { handlers, pinArgs }: the symbols under which an SSL engine keeps its hooks on its own JS object.
  Napi::ObjectReference sslEngineKeys;
  Napi::FunctionReference passwordCallback;
  std::string password;  // from init({ password: '...' })
  bool hasPassword = false;
  bool initialized = false;  // this environment holds a reference on the process-wide NSS context
  std::thread::id jsThread;
  std::unordered_set<Handle*> handles;
  // Where this environment's pool cycles come back (ssl_engine.cc), made with the first one.
  std::shared_ptr<CycleSink> cycleSink;

  static AddonData* Get(Napi::Env env);
  // Waits for this environment's NSSWorkers to leave Work() and releases what they hold, then releases every
  // live handle of this environment (they throw NSS_SHUT_DOWN afterwards).
  void ReleaseAll();
  // Releases the handles that belong to `module` (they throw SEC_ERROR_NO_TOKEN afterwards).
  // `module` is only compared, never dereferenced: it may be gone already.
  void ReleaseHandlesOf(const SECMODModule* module);
};

// A libuv worker that holds NSS references (a login, a key generation, a PKCS#12 import or export). shutdown() and environment teardown
// wait until no Work() of their environment runs (Work never needs the JavaScript thread: it calls NSS with
// no pin argument, and the password function answers nothing off that thread), then ReleaseNSS() what it
// holds, since those references belong to the NSS lifetime that is ending; Work() that has not started then
// never runs, and the promise rejects with NSPRError NSS_SHUT_DOWN.
class NSSWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // `what` names the work in the NSS_SHUT_DOWN message ("generating the key pair").
  NSSWorker(Napi::Env env, const char* what);
  ~NSSWorker() override;
  // The NSS calls, on the pool thread.
  virtual void Work() = 0;
  // Drops the NSS references; idempotent. Called on the environment's thread, never while Work() runs.
  virtual void ReleaseNSS() = 0;
  // Settles the promise, on the JavaScript thread, when NSS was not shut down meanwhile.
  virtual void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) = 0;

 private:
  friend struct AddonData;
  void Execute() final;
  void OnOK() final;

  Napi::Promise::Deferred deferred_;
  const char* what_;
  AddonData* data_;
  // Guarded by the process-wide worker mutex (context.cc).
  bool working_ = false;
  bool released_ = false;
};

// The pin argument ("wincx") handed to NSS calls that may need a token login. It carries the caller's
// JS pin arguments to the password callback and brings an exception thrown there back to the caller.
class PinArg {
 public:
  // `args` is a JS array (or undefined) of user pin arguments.
  PinArg(Napi::Env env, Napi::Value args);
  ~PinArg();
  PinArg(const PinArg&) = delete;
  PinArg& operator=(const PinArg&) = delete;

  void* wincx() { return this; }
  // Rethrows an exception raised by the user's password callback during the NSS call.
  void RethrowCallbackError();
  // Recognises a wincx made by PinArg (NSS may hand us someone else's pointer or NULL).
  static PinArg* From(void* wincx);
  static PinArg* Current();

  Napi::Env env;
  Napi::Value args;
  Napi::Error callbackError;
  bool hasCallbackError = false;

 private:
  uint32_t magic_;
  PinArg* previous_;
};

// A Buffer argument as an SECItem over its bytes (valid while the Buffer is).
inline SECItem BufferItem(const Napi::Value& value) {
  Napi::Buffer<uint8_t> buf = value.As<Napi::Buffer<uint8_t>>();
  return {siBuffer, buf.Data(), static_cast<unsigned int>(buf.Length())};
}

// Throws NSPRError NSS_NOT_INITIALIZED when this environment has not called init().
void RequireInit(Napi::Env env);

void InitContext(Napi::Env env, Napi::Object exports);

}  // namespace nss
