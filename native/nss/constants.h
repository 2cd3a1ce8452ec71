// NSS constants exported with the values of the installed headers.
#pragma once
#include <napi.h>

namespace nss {

void InitConstants(Napi::Env env, Napi::Object exports);
void InitSSLConstants(Napi::Env env, Napi::Object exports);

}  // namespace nss
