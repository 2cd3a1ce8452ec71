// Registers the native module; every piece lives in its own file.
#include <napi.h>

#include "cert_builder.h"
#include "cert_db.h"
#include "cert_extensions.h"
#include "cert_request.h"
#include "certificate.h"
#include "constants.h"
#include "context.h"
#include "crl.h"
#include "errors.h"
#include "ocsp.h"
#include "pkcs11_module.h"
#include "private_key.h"
#include "server_session_cache.h"
#include "slot.h"
#include "ssl_engine.h"

namespace nss {

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  InitContext(env, exports);
  InitErrors(env, exports);
  InitConstants(env, exports);
  InitSSLConstants(env, exports);
  Certificate::Init(env, exports);
  PrivateKey::Init(env, exports);
  InitPrivateKeys(env, exports);
  Slot::Init(env, exports);
  InitSlots(env, exports);
  PKCS11Module::Init(env, exports);
  InitModules(env, exports);
  InitCertDB(env, exports);
  CachedCRL::Init(env, exports);
  InitCRLs(env, exports);
  InitOCSP(env, exports);
  InitCertExtensions(env, exports);
  InitCertRequests(env, exports);
  InitCertBuilder(env, exports);
  InitSSL(env, exports);
  InitServerSessionCache(env, exports);
  return exports;
}

}  // namespace nss

static Napi::Object RegisterModule(Napi::Env env, Napi::Object exports) { return nss::Register(env, exports); }

NODE_API_MODULE(node_nss, RegisterModule)
