// Certificate issuing: a new CERTCertificate built with CERT_CreateCertificate, given its extensions,
// signed with SEC_DerSignData and handed back as a temporary NSS certificate.
#pragma once
#include <napi.h>

namespace nss {

void InitCertBuilder(Napi::Env env, Napi::Object exports);

}  // namespace nss
