// Error mapping: every NSS/NSPR failure becomes a JS NSPRError (class registered by the TS layer).
#pragma once
#include <napi.h>
#include <prerror.h>

namespace nss {

// Name of an NSS/NSPR error code ("SSL_ERROR_BAD_CERT_DOMAIN"), or "UNKNOWN_ERROR_<n>".
std::string ErrorName(PRErrorCode code);
// Message from PR_ErrorToString, or "" when NSS has none.
std::string ErrorMessage(PRErrorCode code);

// Builds an NSPRError for `code` (PR_GetError() when 0 and nothing else is known).
Napi::Error MakeNSPRError(Napi::Env env, PRErrorCode code, const std::string& context = "");
// Builds an NSPRError whose `code` is not an NSS name (e.g. NSS_SHUT_DOWN) but keeps an NSS errno.
Napi::Error MakeCodedError(Napi::Env env, const char* code, PRErrorCode errnum, const std::string& message);
// Throws MakeNSPRError(env, PR_GetError()).
[[noreturn]] void ThrowLastError(Napi::Env env, const std::string& context = "");

void InitErrors(Napi::Env env, Napi::Object exports);

}  // namespace nss
