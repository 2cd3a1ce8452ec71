#include "crl.h"

#include <certdb.h>
#include <pk11pub.h>
#include <secerr.h>

#include <map>
#include <memory>
#include <mutex>

#include "certificate.h"
#include "errors.h"
#include "ocsp.h"

namespace nss {

namespace {

// Process-wide: NSS's CRL cache is.
std::mutex& CacheMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, std::unique_ptr<CachedCRLEntry>>& CacheEntries() {
  static std::map<std::string, std::unique_ptr<CachedCRLEntry>> entries;
  return entries;
}

// 0 when the CRL is signed by a CA it may come from, else the NSS error: a certificate with the CRL's issuer
// name, allowed to sign CRLs (cRLSign, or no key usage), that is one of `anchors` (node:tls's `ca` beside it) or
// verifies as a CA under the database's trust. Measured on NSS 3.87: one CRL in the cache whose signature does
// not verify under the issuer NSS's CRL cache settles on makes that cache unusable, and a certificate the
// issuer's real CRL revokes then verifies (classic and PKIX alike, with the real CRL cached beside it). So a
// CRL is checked before it goes in, and a same-name certificate no one trusts cannot vouch for one.
PRErrorCode CheckCRLSignature(const SECItem& der, CERTCertList* anchors) {
  SECItem copy = der;
  CERTSignedCrl* crl = CERT_DecodeDERCrlWithFlags(nullptr, &copy, SEC_CRL_TYPE, CRL_DECODE_SKIP_ENTRIES);
  if (crl == nullptr) return PR_GetError() ? PR_GetError() : SEC_ERROR_CRL_INVALID;
  std::unique_ptr<CERTSignedCrl, SECStatus (*)(CERTSignedCrl*)> crlRef(crl, SEC_DestroyCrl);
  CERTCertList* issuers =
      CERT_CreateSubjectCertList(nullptr, CERT_GetDefaultCertDB(), &crl->crl.derName, PR_Now(), PR_FALSE);
  if (issuers == nullptr) return SEC_ERROR_UNKNOWN_ISSUER;
  std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> issuersRef(issuers, CERT_DestroyCertList);
  PRErrorCode error = SEC_ERROR_UNKNOWN_ISSUER;
  for (CERTCertListNode* node = CERT_LIST_HEAD(issuers); !CERT_LIST_END(node, issuers); node = CERT_LIST_NEXT(node)) {
    CERTCertificate* issuer = node->cert;
    if (!CERT_IsCACert(issuer, nullptr) || CERT_CheckCertUsage(issuer, KU_CRL_SIGN) != SECSuccess) continue;
    bool anchored = false;
    for (CERTCertListNode* a = anchors != nullptr ? CERT_LIST_HEAD(anchors) : nullptr;
         a != nullptr && !CERT_LIST_END(a, anchors); a = CERT_LIST_NEXT(a)) {
      if (CERT_CompareCerts(a->cert, issuer)) anchored = true;
    }
    if (!anchored) {
      OCSPStateReader ocspState;
      if (CERT_VerifyCert(CERT_GetDefaultCertDB(), issuer, PR_TRUE, certUsageAnyCA, PR_Now(), nullptr, nullptr) !=
          SECSuccess) {
        continue;
      }
    }
    if (CERT_VerifySignedData(&crl->signatureWrap, issuer, PR_Now(), nullptr) == SECSuccess) return 0;
    error = SEC_ERROR_CRL_BAD_SIGNATURE;
  }
  return error;
}

// cacheCRL(der, anchors: NativeCertificate[] | null) → NativeCachedCRL. Checks the CRL's signature first
// (CheckCRLSignature): its issuer must be known, and trusted, by then.
Napi::Value CacheCRL(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  std::string der(reinterpret_cast<const char*>(buf.Data()), buf.Length());
  SECItem item = BufferItem(info[0]);
  CertListPtr anchors = CertListFromArray(env, info[1], "anchors");
  PRErrorCode signature = CheckCRLSignature(item, anchors.get());
  if (signature != 0) {
    PORT_SetError(signature);
    ThrowLastError(env, "checking the CRL's signature");
  }
  CachedCRLEntry* entry;
  {
    std::lock_guard<std::mutex> lock(CacheMutex());
    auto& entries = CacheEntries();
    auto found = entries.find(der);
    if (found != entries.end()) {
      entry = found->second.get();
    } else {
      auto created = std::make_unique<CachedCRLEntry>();
      created->der = der;
      created->item = {siBuffer, reinterpret_cast<unsigned char*>(&created->der[0]),
                       static_cast<unsigned int>(created->der.size())};
      if (CERT_CacheCRL(CERT_GetDefaultCertDB(), &created->item) != SECSuccess) ThrowLastError(env, "CERT_CacheCRL");
      entry = created.get();
      entries.emplace(der, std::move(created));
    }
    entry->holders++;
  }
  return CachedCRL::New(env, entry);  // gives the hold back when no wrapper takes it
}

// importCRL(der, url | null, pinArgs) → undefined: PK11_ImportCRL into the database's key slot, which checks
// the CRL's signature against its issuer there (SEC_ERROR_CRL_INVALID, SEC_ERROR_UNKNOWN_ISSUER, ...).
Napi::Value ImportCRL(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  std::string url = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  PinArg pin(env, info[2]);
  PK11SlotInfo* slot = PK11_GetInternalKeySlot();
  if (slot == nullptr) ThrowLastError(env, "PK11_GetInternalKeySlot");
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slotRef(slot, PK11_FreeSlot);
  if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, pin.wincx()) &&
      PK11_Authenticate(slot, PR_TRUE, pin.wincx()) != SECSuccess) {
    pin.RethrowCallbackError();
    ThrowLastError(env, "PK11_Authenticate");
  }
  CERTSignedCrl* crl = PK11_ImportCRL(slot, &der, url.empty() ? nullptr : const_cast<char*>(url.c_str()),
                                      SEC_CRL_TYPE, pin.wincx(), CRL_IMPORT_DEFAULT_OPTIONS, nullptr,
                                      CRL_DECODE_DEFAULT_OPTIONS);
  pin.RethrowCallbackError();
  if (crl == nullptr) ThrowLastError(env, "PK11_ImportCRL");
  SEC_DestroyCrl(crl);
  return env.Undefined();
}

// listCRLs() → [{ issuer, der, url }]: the CRLs in the database's tokens (SEC_LookupCrls). The CRLs live in the
// list's arena (pk11nobj.c, pk11_CollectCrls): freeing the arena frees them; SEC_DestroyCrl on one aborts.
Napi::Value ListCRLs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  CERTCrlHeadNode* head = nullptr;
  if (SEC_LookupCrls(CERT_GetDefaultCertDB(), &head, SEC_CRL_TYPE) != SECSuccess) ThrowLastError(env, "SEC_LookupCrls");
  std::unique_ptr<PLArenaPool, void (*)(PLArenaPool*)> arena(head != nullptr ? head->arena : nullptr,
                                                             [](PLArenaPool* a) { PORT_FreeArena(a, PR_FALSE); });
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (CERTCrlNode* node = head != nullptr ? head->first : nullptr; node != nullptr; node = node->next) {
    CERTSignedCrl* crl = node->crl;
    if (crl == nullptr) continue;
    Napi::Object entry = Napi::Object::New(env);
    char* issuer = CERT_NameToAscii(&crl->crl.name);
    entry.Set("issuer", issuer ? Napi::String::New(env, issuer) : Napi::String::New(env, ""));
    if (issuer) PORT_Free(issuer);
    if (crl->derCrl != nullptr) {
      entry.Set("der", Napi::Buffer<uint8_t>::Copy(env, crl->derCrl->data, crl->derCrl->len));
    } else {
      entry.Set("der", env.Null());
    }
    entry.Set("url", crl->url ? Napi::String::New(env, crl->url) : env.Null());
    out.Set(n++, entry);
  }
  return out;
}

// deleteCRL(der) → undefined: removes the database's CRL of the issuer of this CRL (SEC_DeletePermCRL), as
// crlutil -D does; SEC_ERROR_CRL_NOT_FOUND when it has none.
Napi::Value DeleteCRL(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  CERTSignedCrl* decoded = CERT_DecodeDERCrlWithFlags(nullptr, &der, SEC_CRL_TYPE, CRL_DECODE_SKIP_ENTRIES);
  if (decoded == nullptr) ThrowLastError(env, "CERT_DecodeDERCrl");
  std::unique_ptr<CERTSignedCrl, SECStatus (*)(CERTSignedCrl*)> decodedRef(decoded, SEC_DestroyCrl);
  CERTSignedCrl* stored = SEC_FindCrlByName(CERT_GetDefaultCertDB(), &decoded->crl.derName, SEC_CRL_TYPE);
  if (stored == nullptr) {
    PORT_SetError(SEC_ERROR_CRL_NOT_FOUND);
    ThrowLastError(env, "SEC_FindCrlByName");
  }
  std::unique_ptr<CERTSignedCrl, SECStatus (*)(CERTSignedCrl*)> storedRef(stored, SEC_DestroyCrl);
  // NSS hands back the CRL its cache uses, which can be one held in memory (no token object to delete).
  if (stored->slot == nullptr) {
    PORT_SetError(SEC_ERROR_CRL_NOT_FOUND);
    ThrowLastError(env, "SEC_FindCrlByName (the CRL in use for this issuer is held in memory, not by the database)");
  }
  if (SEC_DeletePermCRL(stored) != SECSuccess) ThrowLastError(env, "SEC_DeletePermCRL");
  return env.Undefined();
}

}  // namespace

void ReleaseCachedCRL(CachedCRLEntry* entry) {
  std::lock_guard<std::mutex> lock(CacheMutex());
  if (--entry->holders > 0) return;
  auto& entries = CacheEntries();
  auto found = entries.find(entry->der);
  // NSS reads the bytes in place until it lets the CRL go: if it does not (out of memory), they stay.
  if (CERT_UncacheCRL(CERT_GetDefaultCertDB(), &entry->item) != SECSuccess && PR_GetError() != SEC_ERROR_CRL_NOT_FOUND) {
    found->second.release();
  }
  entries.erase(found);  // frees the entry (unless released above)
}

void CachedCRL::Init(Napi::Env env, Napi::Object exports) { Export(env, exports, {}); }

void InitCRLs(Napi::Env env, Napi::Object exports) {
  exports.Set("cacheCRL", Napi::Function::New(env, CacheCRL));
  exports.Set("importCRL", Napi::Function::New(env, ImportCRL));
  exports.Set("listCRLs", Napi::Function::New(env, ListCRLs));
  exports.Set("deleteCRL", Napi::Function::New(env, DeleteCRL));
}

}  // namespace nss
