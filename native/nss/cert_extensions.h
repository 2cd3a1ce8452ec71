// Certificate extensions (CERTCertExtension values): NSS's encoders for the extensions the issuance
// functions write, and the plumbing that adds a list of encoded extensions to a certificate or request.
#pragma once
#include <cert.h>
#include <napi.h>

#include <memory>
#include <string>

#include "cert_info.h"

namespace nss {

struct ArenaDeleter {
  void operator()(PLArenaPool* arena) const { PORT_FreeArena(arena, PR_FALSE); }
};
using Arena = std::unique_ptr<PLArenaPool, ArenaDeleter>;
// A new arena; throws NSPRError SEC_ERROR_NO_MEMORY when there is none.
Arena NewArena(Napi::Env env);

// Adds `extensions`, a JS array of { oid: string, critical: boolean, value: Buffer }, through an extension
// handle from CERT_StartCertExtensions / CERT_StartCertificateRequestAttributes. Throws on failure.
void AddExtensions(Napi::Env env, void* handle, Napi::Value extensions);

// A JS array of { oid, critical, value } for a NULL-terminated extension list.
Napi::Array ExtensionList(Napi::Env env, CERTCertExtension** extensions);

void InitCertExtensions(Napi::Env env, Napi::Object exports);

}  // namespace nss
