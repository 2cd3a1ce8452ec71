#include "slot.h"

#include <keyhi.h>
#include <prerror.h>
#include <secerr.h>

#include <algorithm>
#include <memory>

#include "certificate.h"
#include "errors.h"
#include "private_key.h"

namespace nss {

namespace {

// Checks a PIN on a libuv worker: a token may take seconds, and a wrong PIN is tried exactly once.
class LoginWorker : public NSSWorker {
 public:
  LoginWorker(Napi::Env env, PK11SlotInfo* slot, std::string pin)
      : NSSWorker(env, "logging in to the token"), slot_(PK11_ReferenceSlot(slot)), pin_(std::move(pin)) {}
  ~LoginWorker() override {
    ReleaseNSS();
    std::fill(pin_.begin(), pin_.end(), '\0');
  }

 protected:
  void Work() override {
    if (PK11_CheckUserPassword(slot_, pin_.c_str()) != SECSuccess) error_ = PR_GetError();
  }
  void ReleaseNSS() override {
    if (slot_ != nullptr) PK11_FreeSlot(slot_);
    slot_ = nullptr;
  }
  void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    if (error_ == 0) {
      deferred.Resolve(env.Undefined());
    } else {
      deferred.Reject(MakeNSPRError(env, error_, "login to token").Value());
    }
  }

 private:
  PK11SlotInfo* slot_;
  std::string pin_;
  PRErrorCode error_ = 0;
};

Napi::Value SlotList(Napi::Env env, PK11SlotList* list) {
  if (list == nullptr) return Napi::Array::New(env);
  std::unique_ptr<PK11SlotList, void (*)(PK11SlotList*)> owned(list, PK11_FreeSlotList);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (PK11SlotListElement* le = PK11_GetFirstSafe(list); le != nullptr; le = PK11_GetNextSafe(list, le, PR_FALSE)) {
    out.Set(n++, Slot::New(env, PK11_ReferenceSlot(le->slot)));
  }
  return out;
}

Napi::Value GetAllTokens(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PinArg pin(env, info[0]);
  PK11SlotList* list = PK11_GetAllTokens(CKM_INVALID_MECHANISM, PR_FALSE, PR_FALSE, pin.wincx());
  pin.RethrowCallbackError();
  return SlotList(env, list);
}

Napi::Value GetInternalKeySlot(const Napi::CallbackInfo& info) {
  RequireInit(info.Env());
  return Slot::New(info.Env(), PK11_GetInternalKeySlot());
}

Napi::Value FindSlotByName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  PK11SlotInfo* slot = PK11_FindSlotByName(name.c_str());
  return slot ? Slot::New(env, slot) : env.Null();
}

}  // namespace

void Slot::Init(Napi::Env env, Napi::Object exports) {
  Export(env, exports,
         {
             InstanceMethod<&Slot::Info>("info"),
             InstanceMethod<&Slot::NeedLogin>("needLogin"),
             InstanceMethod<&Slot::NeedUserInit>("needUserInit"),
             InstanceMethod<&Slot::IsLoggedIn>("isLoggedIn"),
             InstanceMethod<&Slot::Login>("login"),
             InstanceMethod<&Slot::Logout>("logout"),
             InstanceMethod<&Slot::ChangePassword>("changePassword"),
             InstanceMethod<&Slot::ListCertificates>("listCertificates"),
             InstanceMethod<&Slot::ListPrivateKeys>("listPrivateKeys"),
         });
}

Napi::Value Slot::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PK11SlotInfo* slot = Get(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("slotName", PK11_GetSlotName(slot));
  out.Set("tokenName", PK11_GetTokenName(slot));
  out.Set("isHW", Napi::Boolean::New(env, PK11_IsHW(slot)));
  out.Set("isRemovable", Napi::Boolean::New(env, PK11_IsRemovable(slot)));
  out.Set("isPresent", Napi::Boolean::New(env, PK11_IsPresent(slot)));
  out.Set("isInternal", Napi::Boolean::New(env, PK11_IsInternal(slot)));
  out.Set("isInternalKeySlot", Napi::Boolean::New(env, PK11_IsInternalKeySlot(slot)));
  out.Set("isReadOnly", Napi::Boolean::New(env, PK11_IsReadOnly(slot)));
  return out;
}

Napi::Value Slot::NeedLogin(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), PK11_NeedLogin(Get(info.Env())));
}

Napi::Value Slot::NeedUserInit(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), PK11_NeedUserInit(Get(info.Env())));
}

Napi::Value Slot::IsLoggedIn(const Napi::CallbackInfo& info) {
  PinArg pin(info.Env(), info[0]);
  return Napi::Boolean::New(info.Env(), PK11_IsLoggedIn(Get(info.Env()), pin.wincx()));
}

Napi::Value Slot::Login(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LoginWorker* worker = new LoginWorker(env, Get(env), info[0].As<Napi::String>().Utf8Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Slot::Logout(const Napi::CallbackInfo& info) {
  PK11SlotInfo* slot = Get(info.Env());
  // Logging out of a token that is not logged in fails in PKCS#11; only a session that stays open matters.
  if (PK11_Logout(slot) != SECSuccess && PK11_IsLoggedIn(slot, nullptr)) ThrowLastError(info.Env(), "PK11_Logout");
  return info.Env().Undefined();
}

// changePassword(oldPassword, newPassword): PK11_ChangePW, or PK11_InitPin for a token that never had a
// password set (PK11_NeedUserInit: a database created without certutil -N). A token that needs a login
// and has none is logged in with the old password, and asked again (a wrong one fails SEC_ERROR_BAD_PASSWORD).
Napi::Value Slot::ChangePassword(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PK11SlotInfo* slot = Get(env);
  std::string oldPassword = info[0].As<Napi::String>().Utf8Value();
  std::string newPassword = info[1].As<Napi::String>().Utf8Value();
  SECStatus status;
  if (PK11_NeedUserInit(slot)) {
    status = PK11_InitPin(slot, nullptr, newPassword.c_str());
  } else {
    status = PK11_ChangePW(slot, oldPassword.c_str(), newPassword.c_str());
    // A FIPS token only changes the password of a logged-in user (and NSS's idea of whether the token
    // needs a login can be stale right after its first password was set): log in with the old one, retry.
    if (status != SECSuccess && PR_GetError() == SEC_ERROR_TOKEN_NOT_LOGGED_IN) {
      status = PK11_CheckUserPassword(slot, oldPassword.c_str());
      if (status == SECSuccess) status = PK11_ChangePW(slot, oldPassword.c_str(), newPassword.c_str());
    }
  }
  PRErrorCode error = status == SECSuccess ? 0 : PR_GetError();
  // PK11_CheckUserPassword fails without an error code for an empty wrong password.
  if (status != SECSuccess && error == 0) error = SEC_ERROR_BAD_PASSWORD;
  std::fill(oldPassword.begin(), oldPassword.end(), '\0');
  std::fill(newPassword.begin(), newPassword.end(), '\0');
  if (status != SECSuccess) throw MakeNSPRError(env, error, "changing the token password");
  return env.Undefined();
}

Napi::Value Slot::ListCertificates(const Napi::CallbackInfo& info) {
  return Certificate::FromList(info.Env(), PK11_ListCertsInSlot(Get(info.Env())));
}

// listPrivateKeys(pinArgs) → the token's private keys, after a login through the password function when the token
// needs one (PK11_ListPrivKeysInSlot itself does not log in: measured, it lists nothing on a token with a password).
Napi::Value Slot::ListPrivateKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PK11SlotInfo* slot = Get(env);
  PinArg pin(env, info[0]);
  if (PK11_NeedLogin(slot) && PK11_Authenticate(slot, PR_TRUE, pin.wincx()) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error != 0 ? error : SEC_ERROR_BAD_PASSWORD, "logging in to list the private keys");
  }
  SECKEYPrivateKeyList* list = PK11_ListPrivKeysInSlot(slot, nullptr, pin.wincx());
  // The list (its keys hold slot references) is destroyed however this ends: a rethrown callback error, or a
  // JavaScript call failing while a worker is terminated.
  std::unique_ptr<SECKEYPrivateKeyList, void (*)(SECKEYPrivateKeyList*)> owned(list, [](SECKEYPrivateKeyList* l) {
    if (l != nullptr) SECKEY_DestroyPrivateKeyList(l);
  });
  pin.RethrowCallbackError();
  Napi::Array out = Napi::Array::New(env);
  if (list == nullptr) return out;
  uint32_t n = 0;
  for (SECKEYPrivateKeyListNode* node = PRIVKEY_LIST_HEAD(list); !PRIVKEY_LIST_END(node, list);
       node = PRIVKEY_LIST_NEXT(node)) {
    if (node->key == nullptr) continue;  // a key object NSS could not read
    SECKEYPrivateKey* copy = SECKEY_CopyPrivateKey(node->key);
    if (copy != nullptr) out.Set(n++, PrivateKey::New(env, copy));
  }
  return out;
}

void InitSlots(Napi::Env env, Napi::Object exports) {
  exports.Set("getAllTokens", Napi::Function::New(env, GetAllTokens));
  exports.Set("getInternalKeySlot", Napi::Function::New(env, GetInternalKeySlot));
  exports.Set("findSlotByName", Napi::Function::New(env, FindSlotByName));
}

}  // namespace nss
