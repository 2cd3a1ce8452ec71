#include "errors.h"

#include <nss.h>
#include <prerror.h>
#include <ssl.h>
#include <sslerr.h>

#include <mutex>

#include "context.h"

namespace nss {

namespace {

// libssl registers its error table only once it is initialised, which needs NSS. Before init(), a
// throwaway no-database context lets it register; the table stays installed for the process.
void EnsureSSLErrorTable(PRErrorCode code) {
  if (!IS_SSL_ERROR(code)) return;
  static std::once_flag once;
  std::call_once(once, [] {
    if (NSS_IsInitialized()) {
      NSS_SetDomesticPolicy();
      return;
    }
    NSSInitContext* context = NSS_InitContext("", "", "", "", nullptr,
                                              NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
                                                  NSS_INIT_NOROOTINIT | NSS_INIT_PK11RELOAD | NSS_INIT_NOPK11FINALIZE);
    if (context == nullptr) return;
    NSS_SetDomesticPolicy();
    NSS_ShutdownContext(context);
  });
}

const char* LookupName(PRErrorCode code) {
  EnsureSSLErrorTable(code);
  return PR_ErrorToName(code);
}

const char* LookupText(PRErrorCode code) {
  EnsureSSLErrorTable(code);
  return PR_ErrorToName(code) != nullptr ? PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT) : nullptr;
}

}  // namespace

std::string ErrorName(PRErrorCode code) {
  const char* name = LookupName(code);
  if (name != nullptr) return name;
  return "UNKNOWN_ERROR_" + std::to_string(code);
}

std::string ErrorMessage(PRErrorCode code) {
  const char* text = LookupText(code);
  return text != nullptr ? text : "";
}

Napi::Error MakeCodedError(Napi::Env env, const char* code, PRErrorCode errnum, const std::string& message) {
  AddonData* data = AddonData::Get(env);
  Napi::Value err;
  if (data != nullptr && !data->errorClass.IsEmpty()) {
    err = data->errorClass.New(
        {Napi::Number::New(env, errnum), Napi::String::New(env, code), Napi::String::New(env, message)});
  } else {
    Napi::Error plain = Napi::Error::New(env, message);
    plain.Set("code", Napi::String::New(env, code));
    plain.Set("errno", Napi::Number::New(env, errnum));
    err = plain.Value();
  }
  return Napi::Error(env, err);
}

Napi::Error MakeNSPRError(Napi::Env env, PRErrorCode code, const std::string& context) {
  std::string name = ErrorName(code);
  std::string message = ErrorMessage(code);
  if (message.empty()) message = name;
  if (!context.empty()) message = context + ": " + message;
  return MakeCodedError(env, name.c_str(), code, message);
}

void ThrowLastError(Napi::Env env, const std::string& context) {
  PRErrorCode code = PR_GetError();
  throw MakeNSPRError(env, code, context);
}

static void SetErrorClass(const Napi::CallbackInfo& info) {
  AddonData::Get(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
}

static Napi::Value ErrorNameJS(const Napi::CallbackInfo& info) {
  const char* name = LookupName(info[0].As<Napi::Number>().Int32Value());
  return name ? Napi::String::New(info.Env(), name) : info.Env().Null();
}

static Napi::Value ErrorMessageJS(const Napi::CallbackInfo& info) {
  const char* text = LookupText(info[0].As<Napi::Number>().Int32Value());
  return text ? Napi::String::New(info.Env(), text) : info.Env().Null();
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("errorName", Napi::Function::New(env, ErrorNameJS));
  exports.Set("errorMessage", Napi::Function::New(env, ErrorMessageJS));
}

}  // namespace nss
