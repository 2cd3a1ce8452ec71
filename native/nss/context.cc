#include "context.h"
#include <atomic>

#include <nssutil.h>
#include <prinit.h>
#include <secerr.h>
#include <secmod.h>
#include <ssl.h>

#include <pk11pub.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "errors.h"
#include "ocsp.h"
#include "ocsp_http.h"
#include "pkcs11_module.h"
#include "slot.h"

namespace nss {

namespace {

constexpr uint32_t kPinArgMagic = 0x4e535350;  // "NSSP"
thread_local PinArg* tlsCurrentPinArg = nullptr;
thread_local AddonData* tlsAddonData = nullptr;

// NSS is process-wide: one NSS_InitContext shared by every environment (main thread and workers) that
// called init() with the same options, counted here.
struct ProcessContext {
  std::mutex mutex;
  NSSInitContext* context = nullptr;
  std::string optionsKey;
  int references = 0;
  // The error of a shutdown that failed (0: none). NSS is then half torn down (NSS_IsInitialized() false,
  // modules and slots still referenced) and a new NSS_InitContext crashed in SECMOD_UpdateSlotList (NSS 3.87).
  PRErrorCode failedShutdown = 0;
};
ProcessContext& Process() {
  static ProcessContext* process = new ProcessContext();  // never destroyed: outlives every environment
  return *process;
}

// Every NSSWorker of the process, and whether one is in Work(): shutdown waits on `idle` for its own.
struct Workers {
  std::mutex mutex;
  std::condition_variable idle;
  std::unordered_set<NSSWorker*> all;
};
Workers& AllWorkers() {
  static Workers* workers = new Workers();  // never destroyed, as the process context
  return *workers;
}

std::string OptionsKey(const std::string& dbDir, bool readOnly, bool roots, const std::string& rootsModule) {
  return dbDir + '\n' + (readOnly ? "ro" : "rw") + '\n' + (roots ? "roots" : "noroots") + '\n' + rootsModule;
}

char* PasswordFunc(PK11SlotInfo* slot, PRBool retry, void* wincx) {
  PinArg* pin = PinArg::From(wincx);
  if (pin == nullptr) pin = PinArg::Current();
  AddonData* data = tlsAddonData;
  if (data == nullptr || std::this_thread::get_id() != data->jsThread) return nullptr;
  if (data->hasPassword && !retry) return PORT_Strdup(data->password.c_str());
  if (data->passwordCallback.IsEmpty() || pin == nullptr) return nullptr;
  if (pin->hasCallbackError) return nullptr;  // the user's callback already failed in this call
  Napi::Env env = pin->env;
  Napi::HandleScope scope(env);
  try {
    std::vector<napi_value> args{Slot::New(env, PK11_ReferenceSlot(slot)), Napi::Boolean::New(env, retry)};
    if (pin->args.IsArray()) {
      Napi::Array extra = pin->args.As<Napi::Array>();
      for (uint32_t i = 0; i < extra.Length(); i++) args.push_back(extra.Get(i));
    }
    Napi::Value result = data->passwordCallback.Call(args);
    if (!result.IsString()) return nullptr;
    return PORT_Strdup(result.As<Napi::String>().Utf8Value().c_str());
  } catch (const Napi::Error& err) {
    pin->callbackError = err;
    pin->hasCallbackError = true;
    return nullptr;
  }
}

bool HasRootCerts() {
  PK11SlotList* list = PK11_GetAllTokens(CKM_INVALID_MECHANISM, PR_FALSE, PR_FALSE, nullptr);
  bool found = false;
  for (PK11SlotListElement* le = list ? PK11_GetFirstSafe(list) : nullptr; le != nullptr && !found;
       le = PK11_GetNextSafe(list, le, PR_FALSE)) {
    found = PK11_HasRootCerts(le->slot);
  }
  if (list) PK11_FreeSlotList(list);
  return found;
}

// Loads Mozilla's root store module (libnssckbi) when neither NSS nor the database's module list did.
// Returns 0 or the NSS error.
PRErrorCode LoadRootsModule(const std::string& library) {
  PRErrorCode error = 0;
  SECMODModule* module = LoadUserModule("Builtin Roots", library, "", &error);
  if (module != nullptr) SECMOD_DestroyModule(module);
  return error;
}

// Returns true when this was the process's last reference and NSS was shut down.
bool ReleaseContextReference(Napi::Env env, AddonData* data) {
  if (!data->initialized) return false;
  data->ReleaseAll();
  data->initialized = false;
  ProcessContext& process = Process();
  std::lock_guard<std::mutex> lock(process.mutex);
  if (--process.references > 0) return false;
  // The session caches hold certificate references: without clearing both, shutdown reports BUSY.
  SSL_ClearSessionCache();
  SSL_ShutdownServerSessionIDCache();
  // The default responder is node-nss's setting: undone, also for another NSS user that keeps NSS up.
  ForgetOCSPDefaultResponder();
  SECStatus status = NSS_ShutdownContext(process.context);
  process.context = nullptr;
  process.optionsKey.clear();
  // (SEC_ERROR_NOT_INITIALIZED: another NSS user of the process shut NSS down already; a new init is safe.)
  if (status != SECSuccess && PR_GetError() != SEC_ERROR_NOT_INITIALIZED) {
    process.failedShutdown = PR_GetError() != 0 ? PR_GetError() : SEC_ERROR_BUSY;
  }
  if (status != SECSuccess && env != nullptr) ThrowLastError(env, "NSS_ShutdownContext");
  return true;
}

void CleanupHook(void* arg) {
  AddonData* data = static_cast<AddonData*>(arg);
  ReleaseContextReference(nullptr, data);
  data->handles.clear();
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* data = AddonData::Get(env);
  Napi::Object opts = info[0].As<Napi::Object>();
  std::string dbDir = opts.Get("dbDir").IsString() ? opts.Get("dbDir").As<Napi::String>().Utf8Value() : "";
  bool readOnly = opts.Get("readOnly").ToBoolean();
  bool roots = opts.Get("loadBuiltinRoots").ToBoolean();
  std::string rootsModule =
      opts.Get("rootsModule").IsString() ? opts.Get("rootsModule").As<Napi::String>().Utf8Value() : "";
  std::string key = OptionsKey(dbDir, readOnly, roots, rootsModule);

  ProcessContext& process = Process();
  std::lock_guard<std::mutex> lock(process.mutex);
  if (process.context != nullptr && process.optionsKey != key) {
    throw MakeCodedError(env, "NSS_ALREADY_INITIALIZED", SEC_ERROR_INVALID_ARGS,
                         "NSS is already initialized in this process with different options");
  }
  if (data->initialized) return env.Undefined();
  Napi::Value firstPasswordValue = opts.Get("firstPassword");
  bool setFirstPassword = firstPasswordValue.IsString();
  std::string firstPassword = setFirstPassword ? firstPasswordValue.As<Napi::String>().Utf8Value() : "";
  if (process.context == nullptr && process.failedShutdown != 0) {
    throw MakeNSPRError(env, process.failedShutdown,
                        "NSS cannot be initialized again in this process: its last shutdown failed");
  }
  if (process.context == nullptr) {
    PRUint32 flags = NSS_INIT_PK11RELOAD | NSS_INIT_NOPK11FINALIZE;
    if (readOnly) flags |= NSS_INIT_READONLY;
    if (dbDir.empty()) flags |= NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT;
    if (!roots) flags |= NSS_INIT_NOROOTINIT;
    NSSInitContext* context = NSS_InitContext(dbDir.c_str(), "", "", "", nullptr, flags);
    if (context == nullptr) ThrowLastError(env, "NSS_InitContext(" + dbDir + ")");
    if (roots && !rootsModule.empty() && !HasRootCerts()) {
      PRErrorCode error = LoadRootsModule(rootsModule);
      if (error != 0) {
        NSS_ShutdownContext(context);
        throw MakeNSPRError(env, error, "loading the builtin root store " + rootsModule);
      }
    }
    NSS_SetDomesticPolicy();
    RegisterOCSPHttpClient();
    process.context = context;
    process.optionsKey = key;
  }
  // A key database NSS just created has no password, and keys cannot be made in it (SEC_ERROR_IO, NSS 3.87):
  // set the first one, as certutil -N does. Under the process lock, so two environments opening the same new
  // database do not race; one that finds it set already leaves it.
  if (setFirstPassword) {
    PK11SlotInfo* slot = PK11_GetInternalKeySlot();
    SECStatus status = SECSuccess;
    if (slot != nullptr && PK11_NeedUserInit(slot)) status = PK11_InitPin(slot, nullptr, firstPassword.c_str());
    PRErrorCode error = status == SECSuccess ? 0 : PR_GetError();
    if (slot != nullptr) PK11_FreeSlot(slot);
    std::fill(firstPassword.begin(), firstPassword.end(), '\0');
    if (status != SECSuccess) {
      if (process.references == 0) {
        NSS_ShutdownContext(process.context);
        process.context = nullptr;
        process.optionsKey.clear();
      }
      throw MakeNSPRError(env, error, "setting the first password of the new database");
    }
  }
  process.references++;
  data->initialized = true;
  if (opts.Get("password").IsString()) {
    data->password = opts.Get("password").As<Napi::String>().Utf8Value();
    data->hasPassword = true;
  } else {
    data->password.clear();
    data->hasPassword = false;
  }
  return env.Undefined();
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ReleaseContextReference(info.Env(), AddonData::Get(info.Env())));
}

Napi::Value IsInitialized(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), AddonData::Get(info.Env())->initialized);
}

Napi::Value SetPasswordCallback(const Napi::CallbackInfo& info) {
  AddonData* data = AddonData::Get(info.Env());
  if (info[0].IsFunction()) {
    data->passwordCallback = Napi::Persistent(info[0].As<Napi::Function>());
  } else {
    data->passwordCallback.Reset();
  }
  return info.Env().Undefined();
}

Napi::Value IsFIPS(const Napi::CallbackInfo& info) {
  RequireInit(info.Env());
  return Napi::Boolean::New(info.Env(), PK11_IsFIPS());
}

// setFIPS(on) → true when the internal module was switched, false when it already was in that mode.
// The switch is SECMOD_DeleteInternalModule on the internal module's name, as modutil -fips does: NSS
// replaces the module by its FIPS (or non-FIPS) twin and records the change in the database's pkcs11.txt.
Napi::Value SetFIPS(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  bool on = info[0].ToBoolean();
  if (static_cast<bool>(PK11_IsFIPS()) == on) return Napi::Boolean::New(env, false);
  // Cached sessions hold certificates (and through them slots) of the module about to go.
  SSL_ClearSessionCache();
  SECMODModule* internal = SECMOD_GetInternalModule();
  if (internal == nullptr || internal->commonName == nullptr) {
    throw MakeNSPRError(env, SEC_ERROR_NO_MODULE, "finding NSS's internal module");
  }
  std::string name = internal->commonName;  // the module (and its name) is freed by the switch
  if (SECMOD_DeleteInternalModule(name.c_str()) != SECSuccess) ThrowLastError(env, "SECMOD_DeleteInternalModule");
  if (static_cast<bool>(PK11_IsFIPS()) != on) {
    throw MakeNSPRError(env, SEC_ERROR_LIBRARY_FAILURE, "NSS did not switch its internal module");
  }
  // Certificates, keys and slots of the replaced module would keep it (and its non-FIPS or FIPS token)
  // alive, and NSS refuses the next switch until it is gone: this environment lets go of them.
  AddonData::Get(env)->ReleaseHandlesOf(internal);
  return Napi::Boolean::New(env, true);
}

// nssOptionGet(which) / nssOptionSet(which, value): NSS_OptionGet/NSS_OptionSet (process-wide).
Napi::Value NSSOptionGet(const Napi::CallbackInfo& info) {
  PRInt32 value = 0;
  if (NSS_OptionGet(info[0].As<Napi::Number>().Int32Value(), &value) != SECSuccess) {
    ThrowLastError(info.Env(), "NSS_OptionGet");
  }
  return Napi::Number::New(info.Env(), value);
}

Napi::Value NSSOptionSet(const Napi::CallbackInfo& info) {
  if (NSS_OptionSet(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value()) !=
      SECSuccess) {
    ThrowLastError(info.Env(), "NSS_OptionSet");
  }
  return info.Env().Undefined();
}

Napi::Value GenerateRandom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  uint32_t length = info[0].As<Napi::Number>().Uint32Value();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, length);
  if (length > 0 && PK11_GenerateRandom(out.Data(), static_cast<int>(length)) != SECSuccess) {
    ThrowLastError(env, "PK11_GenerateRandom");
  }
  return out;
}

// A process-wide count of the changes that can alter a certificate verification's outcome (trust, imports,
// deletions, tokens, logins, FIPS, init and shutdown), bumped by whichever thread made one, so that a cache of
// verifications in any thread sees changes made in every other.
std::atomic<uint32_t> trustEpoch{0};

Napi::Value TrustChanged(const Napi::CallbackInfo& info) {
  trustEpoch.fetch_add(1);
  return info.Env().Undefined();
}

Napi::Value TrustEpoch(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), trustEpoch.load());
}

// Number of NSS objects this environment holds (for leak tests).
Napi::Value LiveHandles(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(AddonData::Get(info.Env())->handles.size()));
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("nss", NSS_GetVersion());
  out.Set("nspr", PR_GetVersion());
  return out;
}

}  // namespace

AddonData* AddonData::Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

void AddonData::ReleaseAll() {
  {
    Workers& workers = AllWorkers();
    std::unique_lock<std::mutex> lock(workers.mutex);
    auto mine = [this](NSSWorker* worker) { return worker->data_ == this; };
    workers.idle.wait(lock, [&] {
      for (NSSWorker* worker : workers.all) {
        if (mine(worker) && worker->working_) return false;
      }
      return true;
    });
    for (NSSWorker* worker : workers.all) {
      if (mine(worker) && !worker->released_) {
        worker->ReleaseNSS();
        worker->released_ = true;
      }
    }
  }
  for (Handle* handle : handles) {
    handle->Release();
    handle->data_ = nullptr;
  }
  handles.clear();
}

void AddonData::ReleaseHandlesOf(const SECMODModule* module) {
  for (auto it = handles.begin(); it != handles.end();) {
    Handle* handle = *it;
    if (handle->OwningModule() == module) {
      handle->Release();
      handle->tokenGone_ = true;
      handle->data_ = nullptr;
      it = handles.erase(it);
    } else {
      ++it;
    }
  }
}

const SECMODModule* Handle::OwningModule() const {
  PK11SlotInfo* slot = OwningSlot();
  return slot != nullptr ? PK11_GetModule(slot) : nullptr;
}

void Handle::Track(Napi::Env env) {
  data_ = AddonData::Get(env);
  data_->handles.insert(this);
}

void Handle::Untrack() {
  if (data_ != nullptr) data_->handles.erase(this);
  data_ = nullptr;
}

void Handle::ThrowIfReleased(Napi::Env env, bool released) const {
  if (released && tokenGone_) {
    throw MakeCodedError(env, "SEC_ERROR_NO_TOKEN", SEC_ERROR_NO_TOKEN,
                         "this object lived on NSS's internal token, which enableFIPS() replaced; look it up again");
  }
  if (released) {
    throw MakeCodedError(env, "NSS_SHUT_DOWN", SEC_ERROR_NOT_INITIALIZED,
                         "NSS was shut down; this object can no longer be used");
  }
}

NSSWorker::NSSWorker(Napi::Env env, const char* what)
    : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), what_(what), data_(AddonData::Get(env)) {
  Workers& workers = AllWorkers();
  std::lock_guard<std::mutex> lock(workers.mutex);
  workers.all.insert(this);
}

NSSWorker::~NSSWorker() {
  Workers& workers = AllWorkers();
  std::lock_guard<std::mutex> lock(workers.mutex);
  workers.all.erase(this);
}

void NSSWorker::Execute() {
  Workers& workers = AllWorkers();
  {
    std::lock_guard<std::mutex> lock(workers.mutex);
    if (released_) return;  // NSS was shut down before this work started
    working_ = true;
  }
  Work();
  {
    std::lock_guard<std::mutex> lock(workers.mutex);
    working_ = false;
  }
  workers.idle.notify_all();
}

void NSSWorker::OnOK() {
  Napi::Env env = Env();
  bool released;
  {
    std::lock_guard<std::mutex> lock(AllWorkers().mutex);
    released = released_;
  }
  if (released) {
    deferred_.Reject(MakeCodedError(env, "NSS_SHUT_DOWN", SEC_ERROR_NOT_INITIALIZED,
                                    std::string("NSS was shut down while ") + what_)
                         .Value());
    return;
  }
  Complete(env, deferred_);
}

PinArg::PinArg(Napi::Env env, Napi::Value args)
    : env(env), args(args), magic_(kPinArgMagic), previous_(tlsCurrentPinArg) {
  tlsCurrentPinArg = this;
}

PinArg::~PinArg() {
  tlsCurrentPinArg = previous_;
  magic_ = 0;
}

void PinArg::RethrowCallbackError() {
  if (hasCallbackError) {
    hasCallbackError = false;
    throw callbackError;
  }
}

PinArg* PinArg::From(void* wincx) {
  PinArg* pin = static_cast<PinArg*>(wincx);
  if (pin == nullptr || pin != tlsCurrentPinArg) return nullptr;  // only trust the live one on this thread
  return pin->magic_ == kPinArgMagic ? pin : nullptr;
}

PinArg* PinArg::Current() { return tlsCurrentPinArg; }

void RequireInit(Napi::Env env) {
  if (!AddonData::Get(env)->initialized) {
    throw MakeNSPRError(env, SEC_ERROR_NOT_INITIALIZED, "call init() first");
  }
}

void InitContext(Napi::Env env, Napi::Object exports) {
  AddonData* data = new AddonData();
  data->jsThread = std::this_thread::get_id();
  tlsAddonData = data;
  env.SetInstanceData<AddonData>(data);
  napi_add_env_cleanup_hook(env, CleanupHook, data);

  // Error names and texts must resolve before init() too.
  static std::once_flag once;
  std::call_once(once, [] {
    NSS_InitializePRErrorTable();
    PK11_SetPasswordFunc(PasswordFunc);
  });

  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown));
  exports.Set("isInitialized", Napi::Function::New(env, IsInitialized));
  exports.Set("setPasswordCallback", Napi::Function::New(env, SetPasswordCallback));
  exports.Set("isFIPS", Napi::Function::New(env, IsFIPS));
  exports.Set("setFIPS", Napi::Function::New(env, SetFIPS));
  exports.Set("nssOptionGet", Napi::Function::New(env, NSSOptionGet));
  exports.Set("nssOptionSet", Napi::Function::New(env, NSSOptionSet));
  exports.Set("generateRandom", Napi::Function::New(env, GenerateRandom));
  exports.Set("versions", Napi::Function::New(env, Versions));
  exports.Set("liveHandles", Napi::Function::New(env, LiveHandles));
  exports.Set("trustChanged", Napi::Function::New(env, TrustChanged));
  exports.Set("trustEpoch", Napi::Function::New(env, TrustEpoch));
}

}  // namespace nss
