// CRLs: a CRL held in NSS's in-memory CRL cache (CachedCRL, for node:tls's `crl` option), and the CRLs of the
// database (import, list, delete).
#pragma once
#include <cert.h>
#include <napi.h>

#include <string>

#include "handle_wrap.h"

namespace nss {

// One DER CRL in NSS's CRL cache (CERT_CacheCRL), shared by every CachedCRL of the same bytes in the process:
// NSS reads the bytes in place until CERT_UncacheCRL, and finds what to uncache by that memory, so one copy
// serves every holder.
struct CachedCRLEntry {
  std::string der;
  SECItem item;
  size_t holders = 0;
};

// Drops one holder; the last one takes the CRL out of NSS's cache and frees its bytes.
void ReleaseCachedCRL(CachedCRLEntry* entry);

class CachedCRL : public HandleWrap<CachedCRL, CachedCRLEntry, ReleaseCachedCRL> {
 public:
  static constexpr HandleClass kClass{"NativeCachedCRL", "CachedCRL", "CachedCRL objects come from cacheCRL()",
                                      &AddonData::cachedCRLClass};
  static void Init(Napi::Env env, Napi::Object exports);
  using HandleWrap::HandleWrap;
};

// cacheCRL, importCRL, listCRLs, deleteCRL.
void InitCRLs(Napi::Env env, Napi::Object exports);

}  // namespace nss
