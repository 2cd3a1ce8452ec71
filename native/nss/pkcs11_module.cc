#include "pkcs11_module.h"

#include <pk11pub.h>
#include <secerr.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "errors.h"
#include "slot.h"

namespace nss {

namespace {

// Values in a module spec are quoted; a quote or backslash inside one is escaped with a backslash.
std::string Quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct TokenEvent {
  PK11SlotInfo* slot;
  bool present;
};

}  // namespace

SECMODModule* LoadUserModule(const std::string& name, const std::string& library, const std::string& parameters,
                             PRErrorCode* error) {
  std::string spec = "name=" + Quoted(name) + " library=" + Quoted(library);
  if (!parameters.empty()) spec += " parameters=" + Quoted(parameters);
  SECMODModule* module = SECMOD_LoadUserModule(const_cast<char*>(spec.c_str()), nullptr, PR_FALSE);
  if (module != nullptr && module->loaded) {
    *error = 0;
    return module;
  }
  *error = PR_GetError() ? PR_GetError() : SEC_ERROR_LIBRARY_FAILURE;
  if (module != nullptr) SECMOD_DestroyModule(module);
  return nullptr;
}

void PKCS11Module::Init(Napi::Env env, Napi::Object exports) {
  Export(env, exports,
         {
             InstanceMethod<&PKCS11Module::Info>("info"),
             InstanceMethod<&PKCS11Module::Slots>("slots"),
             InstanceMethod<&PKCS11Module::Unload>("unload"),
             InstanceMethod<&PKCS11Module::WatchTokens>("watchTokens"),
             InstanceMethod<&PKCS11Module::StopWatching>("stopWatching"),
         });
}

void PKCS11Module::Release() {
  StopWatcher();
  HandleWrap::Release();
}

Napi::Value PKCS11Module::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECMODModule* module = Get(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", module->commonName ? module->commonName : "");
  out.Set("library", module->dllName ? Napi::Value(Napi::String::New(env, module->dllName)) : env.Null());
  out.Set("loaded", Napi::Boolean::New(env, module->loaded));
  out.Set("internal", Napi::Boolean::New(env, module->internal));
  out.Set("fips", Napi::Boolean::New(env, module->isFIPS));
  return out;
}

Napi::Value PKCS11Module::Slots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECMODModule* module = Get(env);
  Napi::Array out = Napi::Array::New(env);
  if (!module->loaded) return out;
  SECMODListLock* lock = SECMOD_GetDefaultModuleListLock();
  SECMOD_GetReadLock(lock);
  std::vector<PK11SlotInfo*> slots;
  for (int i = 0; i < module->slotCount; i++) slots.push_back(PK11_ReferenceSlot(module->slots[i]));
  SECMOD_ReleaseReadLock(lock);
  uint32_t n = 0;
  for (PK11SlotInfo* slot : slots) out.Set(n++, Slot::New(env, slot));
  return out;
}

Napi::Value PKCS11Module::Unload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECMODModule* module = Get(env);
  StopWatcher();
  if (SECMOD_UnloadUserModule(module) != SECSuccess) ThrowLastError(env, "SECMOD_UnloadUserModule");
  return env.Undefined();
}

// Polls with CKF_DONT_BLOCK rather than blocking in C_WaitForSlotEvent: the only way to wake a blocked wait
// (SECMOD_CancelWait) finalizes the module and drops every login on it.
Napi::Value PKCS11Module::WatchTokens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECMODModule* module = Get(env);
  if (watching_) return env.Undefined();
  uint32_t intervalMs = info[1].As<Napi::Number>().Uint32Value();
  onEvent_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "node-nss token events", 0, 1);
  watching_ = true;
  SECMODModule* watched = SECMOD_ReferenceModule(module);
  watcher_ = std::thread([this, watched, intervalMs]() {
    while (watching_) {
      PK11SlotInfo* slot = SECMOD_WaitForAnyTokenEvent(watched, CKF_DONT_BLOCK, PR_MillisecondsToInterval(intervalMs));
      if (slot != nullptr) {
        auto* event = new TokenEvent{slot, PK11_IsPresent(slot) == PR_TRUE};
        napi_status status = onEvent_.NonBlockingCall(event, [](Napi::Env env, Napi::Function fn, TokenEvent* ev) {
          Napi::Object wrapped = Slot::New(env, ev->slot);
          bool present = ev->present;
          delete ev;
          fn.Call({wrapped, Napi::Boolean::New(env, present)});
        });
        if (status != napi_ok) {
          PK11_FreeSlot(slot);
          delete event;
        }
        continue;  // report every pending change before sleeping
      }
      std::unique_lock<std::mutex> lock(wakeMutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(intervalMs), [this] { return !watching_; });
    }
    SECMOD_DestroyModule(watched);
  });
  return env.Undefined();
}

Napi::Value PKCS11Module::StopWatching(const Napi::CallbackInfo& info) {
  StopWatcher();
  return info.Env().Undefined();
}

void PKCS11Module::StopWatcher() {
  if (!watcher_.joinable()) return;
  {
    // Under the lock, so the watcher cannot miss the wake-up between its check and its wait.
    std::lock_guard<std::mutex> lock(wakeMutex_);
    watching_ = false;
  }
  wake_.notify_all();
  watcher_.join();  // at most the poll in progress (CKF_DONT_BLOCK): the sleep ends at once
  onEvent_.Release();
}

namespace {

Napi::Value LoadPKCS11Module(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string library = info[1].As<Napi::String>().Utf8Value();
  std::string parameters = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  PRErrorCode error = 0;
  SECMODModule* module = LoadUserModule(name, library, parameters, &error);
  if (module == nullptr) throw MakeNSPRError(env, error, "loading PKCS#11 module " + library);
  return PKCS11Module::New(env, module);
}

Napi::Value ListModules(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECMODListLock* lock = SECMOD_GetDefaultModuleListLock();
  std::vector<SECMODModule*> modules;
  SECMOD_GetReadLock(lock);
  for (SECMODModuleList* item = SECMOD_GetDefaultModuleList(); item != nullptr; item = item->next) {
    modules.push_back(SECMOD_ReferenceModule(item->module));
  }
  SECMOD_ReleaseReadLock(lock);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (SECMODModule* module : modules) out.Set(n++, PKCS11Module::New(env, module));
  return out;
}

}  // namespace

void InitModules(Napi::Env env, Napi::Object exports) {
  exports.Set("loadPKCS11Module", Napi::Function::New(env, LoadPKCS11Module));
  exports.Set("listModules", Napi::Function::New(env, ListModules));
}

}  // namespace nss
