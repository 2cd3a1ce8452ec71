// CertDB: lookups, import/delete, PKCS#12 in the default certificate database and its tokens.
#pragma once
#include <napi.h>

namespace nss {

void InitCertDB(Napi::Env env, Napi::Object exports);

}  // namespace nss
