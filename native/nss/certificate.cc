#include "certificate.h"

#include <memory>
#include <string>
#include <vector>
#include <certdb.h>
#include <keyhi.h>
#include <prprf.h>
#include <secder.h>
#include <secerr.h>
#include <ocsp.h>
#include <ssl.h>

#include "cert_extensions.h"
#include "cert_info.h"
#include "errors.h"
#include "ocsp.h"
#include "private_key.h"

namespace nss {

namespace {

double ToMillis(PRTime t) { return static_cast<double>(t) / 1000.0; }

PRTime TimeArg(const Napi::Value& value) {
  if (value.IsNumber()) return static_cast<PRTime>(value.As<Napi::Number>().DoubleValue() * 1000.0);
  return PR_Now();
}

Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& strings) {
  Napi::Array out = Napi::Array::New(env, strings.size());
  for (size_t i = 0; i < strings.size(); i++) out.Set(static_cast<uint32_t>(i), strings[i]);
  return out;
}

Napi::Value AltNames(Napi::Env env, CERTCertificate* cert) { return StringArray(env, AltNameStrings(cert)); }

Napi::Value ExtKeyUsage(Napi::Env env, CERTCertificate* cert) {
  std::vector<std::string> oids;
  if (!ExtKeyUsageOids(cert, &oids)) return env.Null();
  return StringArray(env, oids);
}

}  // namespace

void Certificate::Init(Napi::Env env, Napi::Object exports) {
  Export(env, exports,
         {
             InstanceMethod<&Certificate::Info>("info"),
             InstanceMethod<&Certificate::Nickname>("nickname"),
             InstanceMethod<&Certificate::CheckValidTimes>("checkValidTimes"),
             InstanceMethod<&Certificate::Verify>("verify"),
             InstanceMethod<&Certificate::VerifyPKIXAsync>("verifyPKIXAsync"),
             InstanceMethod<&Certificate::VerifyHostname>("verifyHostname"),
             InstanceMethod<&Certificate::HasSignerInCaNames>("hasSignerInCaNames"),
             InstanceMethod<&Certificate::GetChain>("getChain"),
             InstanceMethod<&Certificate::GetTrust>("getTrust"),
             InstanceMethod<&Certificate::SetTrust>("setTrust"),
             InstanceMethod<&Certificate::AssertLive>("assertLive"),
         });
}

Napi::Array Certificate::FromList(Napi::Env env, CERTCertList* list) {
  if (list == nullptr) return Napi::Array::New(env);
  // The list is destroyed however this ends (a JavaScript call can fail while a worker is terminated).
  std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> owned(list, CERT_DestroyCertList);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (CERTCertListNode* node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
    out.Set(n++, New(env, CERT_DupCertificate(node->cert)));
  }
  return out;
}

Napi::Value Certificate::AssertLive(const Napi::CallbackInfo& info) {
  Get(info.Env());
  return info.Env().Undefined();
}

Napi::Value Certificate::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("subject", cert->subjectName ? cert->subjectName : "");
  out.Set("issuer", cert->issuerName ? cert->issuerName : "");
  char* cn = CERT_GetCommonName(&cert->subject);
  out.Set("subjectCommonName", cn ? Napi::String::New(env, cn) : env.Null());
  if (cn) PORT_Free(cn);
  out.Set("serial", Napi::Buffer<uint8_t>::Copy(env, cert->serialNumber.data, cert->serialNumber.len));
  out.Set("version", cert->version.len == 0 ? 1 : DER_GetInteger(&cert->version) + 1);
  PRTime notBefore = 0, notAfter = 0;
  CERT_GetCertTimes(cert, &notBefore, &notAfter);
  out.Set("notBefore", ToMillis(notBefore));
  out.Set("notAfter", ToMillis(notAfter));
  out.Set("nickname", cert->nickname ? Napi::String::New(env, cert->nickname) : env.Null());
  out.Set("der", Napi::Buffer<uint8_t>::Copy(env, cert->derCert.data, cert->derCert.len));
  out.Set("subjectAltNames", AltNames(env, cert));
  out.Set("keyUsage", cert->keyUsagePresent ? Napi::Number::New(env, cert->keyUsage) : env.Null());
  out.Set("extKeyUsage", ExtKeyUsage(env, cert));
  out.Set("isCA", Napi::Boolean::New(env, CERT_IsCACert(cert, nullptr)));
  out.Set("isPerm", Napi::Boolean::New(env, cert->isperm));
  SECKEYPublicKey* key = CERT_ExtractPublicKey(cert);
  out.Set("publicKeyType", key ? KeyTypeName(SECKEY_GetPublicKeyType(key)) : "unknown");
  out.Set("publicKeyBits", key ? SECKEY_PublicKeyStrengthInBits(key) : 0);
  if (key) SECKEY_DestroyPublicKey(key);
  return out;
}

Napi::Value Certificate::Nickname(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = Get(info.Env());
  return cert->nickname ? Napi::String::New(info.Env(), cert->nickname) : info.Env().Null();
}

Napi::Value Certificate::CheckValidTimes(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = Get(info.Env());
  return Napi::Number::New(info.Env(), CERT_CheckCertValidTimes(cert, TimeArg(info[0]), PR_FALSE));
}

// verify(checkSig, requiredUsages, timeMillis | undefined, pinArgs) →
//   { ok, usages, error, log: [{ cert, depth, error }] }. Policy (throwing CertVerifyError) is in TS.
Napi::Value Certificate::Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  PRBool checkSig = info[0].ToBoolean() ? PR_TRUE : PR_FALSE;
  SECCertificateUsage required = static_cast<SECCertificateUsage>(info[1].As<Napi::Number>().Int64Value());
  PRTime at = TimeArg(info[2]);
  PinArg pin(env, info[3]);

  CERTVerifyLog log = {};
  log.arena = PORT_NewArena(512);
  // Frees the log however this function leaves: the certificates not yet handed to JavaScript, then the arena.
  struct LogGuard {
    CERTVerifyLog* log;
    ~LogGuard() {
      for (CERTVerifyLogNode* node = log->head; node != nullptr; node = node->next) {
        if (node->cert != nullptr) CERT_DestroyCertificate(node->cert);
      }
      PORT_FreeArena(log->arena, PR_FALSE);
    }
  } guard{&log};
  // The verdict comes from a call without a log: with one, NSS logs some failures and goes on as if the chain
  // were good (certvfy.c, LOG_ERROR_OR_EXIT), so a certificate a CRL revokes verified, with the revocation only
  // in the log (measured on NSS 3.87; vfychain counts log entries as failures for the same reason). The log
  // comes from a second call, made only when the first failed.
  SECCertificateUsage returned = 0;
  OCSPStateReader ocspState;
  SECStatus status =
      CERT_VerifyCertificate(CERT_GetDefaultCertDB(), cert, checkSig, required, at, pin.wincx(), nullptr, &returned);
  PRErrorCode error = status == SECSuccess ? 0 : PR_GetError();
  if (status != SECSuccess) {
    SECCertificateUsage ignored = 0;
    CERT_VerifyCertificate(CERT_GetDefaultCertDB(), cert, checkSig, required, at, pin.wincx(), &log, &ignored);
  }

  Napi::Object out = Napi::Object::New(env);
  Napi::Array nodes = Napi::Array::New(env);
  uint32_t n = 0;
  for (CERTVerifyLogNode* node = log.head; node != nullptr; node = node->next) {
    Napi::Object entry = Napi::Object::New(env);
    CERTCertificate* logged = node->cert;
    node->cert = nullptr;
    entry.Set("cert", New(env, logged));  // takes over the log's reference (New frees it if it throws)
    entry.Set("depth", node->depth);
    entry.Set("error", static_cast<double>(node->error));
    nodes.Set(n++, entry);
  }
  pin.RethrowCallbackError();
  out.Set("ok", status == SECSuccess);
  out.Set("usages", static_cast<double>(returned));
  out.Set("error", error);
  out.Set("log", nodes);
  return out;
}

// Whether the certificate's issuer verifies as a CA under the database's trust: the check NSS makes of an OCSP
// responder's signing CA (ocsp.c: cert_VerifyCertWithFlags with certUsageAnyCA).
static bool IssuerTrustedByDatabase(CERTCertificate* cert, PRTime at, void* wincx) {
  CERTCertificate* issuer = CERT_FindCertIssuer(cert, at, certUsageAnyCA);
  if (issuer == nullptr) return false;
  bool trusted = CERT_VerifyCert(CERT_GetDefaultCertDB(), issuer, PR_TRUE, certUsageAnyCA, at, wincx, nullptr) ==
                 SECSuccess;
  CERT_DestroyCertificate(issuer);
  return trusted;
}

static PRErrorCode PKIXVerifyLocked(CERTCertificate* cert, SECCertificateUsage usage, PRTime at,
                                    CERTCertList* anchors, bool anchorsOnly, Revocation revocation,
                                    void* wincx);

CertListPtr CertListFromArray(Napi::Env env, Napi::Value value, const char* argName) {
  CertListPtr list(nullptr, CERT_DestroyCertList);
  if (!value.IsArray()) return list;
  Napi::Array array = value.As<Napi::Array>();
  list.reset(CERT_NewCertList());
  if (!list) ThrowLastError(env, "CERT_NewCertList");
  for (uint32_t i = 0; i < array.Length(); i++) {
    CERTCertificate* cert = CERT_DupCertificate(Certificate::FromValue(array.Get(i), argName));
    if (CERT_AddCertToListTail(list.get(), cert) != SECSuccess) {
      CERT_DestroyCertificate(cert);
      ThrowLastError(env, "CERT_AddCertToListTail");
    }
  }
  return list;
}

// Whether `cert` is one of `list`'s certificates (the same DER).
static bool InCertList(CERTCertList* list, CERTCertificate* cert) {
  for (CERTCertListNode* node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
    if (SECITEM_ItemsAreEqual(&node->cert->derCert, &cert->derCert)) return true;
  }
  return false;
}

PRErrorCode PKIXVerify(CERTCertificate* cert, SECCertificateUsage usage, PRTime at, CERTCertList* anchors,
                       bool anchorsOnly, Revocation revocation, void* wincx) {
  OCSPStateReader ocspState;
  return PKIXVerifyLocked(cert, usage, at, anchors, anchorsOnly, revocation, wincx);
}

static PRErrorCode PKIXVerifyLocked(CERTCertificate* cert, SECCertificateUsage usage, PRTime at,
                                    CERTCertList* anchors, bool anchorsOnly, Revocation revocation,
                                    void* wincx) {
  const CERTRevocationFlags* flags = revocation == Revocation::kHard   ? CERT_GetClassicOCSPEnabledHardFailurePolicy()
                                     : revocation == Revocation::kSoft ? CERT_GetClassicOCSPEnabledSoftFailurePolicy()
                                                                       : CERT_GetClassicOCSPDisabledPolicy();
  CERTValInParam in[5];
  int n = 0;
  in[n].type = cert_pi_revocationFlags;
  in[n++].value.pointer.revocation = const_cast<CERTRevocationFlags*>(flags);
  in[n].type = cert_pi_date;
  in[n++].value.scalar.time = at;
  if (anchors != nullptr) {
    // cert_pi_useOnlyTrustAnchors defaults to true: no root of the database is trusted for this verification,
    // and the anchors get no trust anywhere else.
    in[n].type = cert_pi_trustAnchors;
    in[n++].value.pointer.chain = anchors;
    if (!anchorsOnly) {
      // The anchors beside the database's roots (NODE_EXTRA_CA_CERTS), still for this verification only.
      in[n].type = cert_pi_useOnlyTrustAnchors;
      in[n++].value.scalar.b = PR_FALSE;
    }
  }
  in[n].type = cert_pi_end;
  CERTValOutParam out[2];
  out[0].type = cert_po_trustAnchor;
  out[0].value.pointer.cert = nullptr;
  out[1].type = cert_po_end;
  PORT_SetError(0);
  if (CERT_PKIXVerifyCert(cert, usage, in, out, wincx) == SECSuccess) {
    CERTCertificate* anchor = out[0].value.pointer.cert;
    // libpkix caches the chains it built (pkix_CacheCertChain): once a certificate verified against the
    // database's trust, a verification against other anchors alone accepted the same chain, ending in the
    // database's root (measured on NSS 3.87: a database-trusted CA's server, verified once without anchors,
    // then passed under `ca` of another CA). The anchor the chain ended in is checked here instead.
    bool anchored = anchors == nullptr || !anchorsOnly || (anchor != nullptr && InCertList(anchors, anchor));
    if (anchor != nullptr) CERT_DestroyCertificate(anchor);
    return anchored ? 0 : SEC_ERROR_UNTRUSTED_ISSUER;
  }
  PRErrorCode error = PR_GetError() ? PR_GetError() : SEC_ERROR_UNTRUSTED_CERT;
  // NSS checks an OCSP responder's certificate with the classic verifier against the database's trust (ocsp.c,
  // ocsp_CheckSignature), unless it is the default responder's: under trust anchors the database does not
  // trust, a response signed by the CA or its delegate never verifies, and libpkix then reports the leaf as
  // revoked (measured on NSS 3.87, with openssl ocsp as responder: a good certificate failed with
  // SEC_ERROR_REVOKED_CERTIFICATE). A revocation that CRLs prove is reported as such; otherwise the answer could
  // not be checked.
  if (error == SEC_ERROR_REVOKED_CERTIFICATE && anchors != nullptr && revocation != Revocation::kOff &&
      !OCSPDefaultResponderSet() && !IssuerTrustedByDatabase(cert, at, wincx)) {
    PRErrorCode byCRL = PKIXVerifyLocked(cert, usage, at, anchors, anchorsOnly, Revocation::kOff, wincx);
    return byCRL != 0 ? byCRL : SEC_ERROR_OCSP_INVALID_SIGNING_CERT;
  }
  return error;
}

// Hands OCSP responses a server stapled for `cert` to NSS's OCSP cache (as SSL_AuthCertificate does), so that
// a revocation check finds them instead of fetching. Responses that do not verify are ignored, as NSS does.
static void CacheStapledResponses(CERTCertificate* cert, const std::vector<std::string>& responses, void* wincx) {
  for (const std::string& response : responses) {
    SECItem item = {siBuffer, reinterpret_cast<unsigned char*>(const_cast<char*>(response.data())),
                    static_cast<unsigned int>(response.size())};
    CERT_CacheOCSPResponseFromSideChannel(CERT_GetDefaultCertDB(), cert, PR_Now(), &item, wincx);
  }
}

namespace {

// The JS arguments of verifyPKIXAsync but the last.
struct PKIXArgs {
  SECCertificateUsage usage;
  PRTime at;
  CertListPtr anchors{nullptr, CERT_DestroyCertList};
  Revocation revocation;
  std::vector<std::string> staples;
  bool anchorsOnly;

  // (usage, atMillis | undefined, anchors: NativeCertificate[] | null, revocation: 0 | 1 | 2, staples: Buffer[],
  //  keep, anchorsOnly: boolean)
  PKIXArgs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    usage = static_cast<SECCertificateUsage>(info[0].As<Napi::Number>().Int64Value());
    at = TimeArg(info[1]);
    anchors = CertListFromArray(env, info[2], "anchors");
    revocation = RevocationFromValue(info[3]);
    Napi::Array responses = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < responses.Length(); i++) {
      Napi::Buffer<uint8_t> buf = responses.Get(i).As<Napi::Buffer<uint8_t>>();
      staples.emplace_back(reinterpret_cast<const char*>(buf.Data()), buf.Length());
    }
    anchorsOnly = info[6].ToBoolean();
  }
};

// verifyPKIXAsync: PKIXVerify on a libuv worker, since an OCSP fetch blocks for as long as the responder takes
// (up to NSS's OCSP timeout). The worker holds its own references: the certificate, the anchors and `keep`
// (the certificates a peer sent, which NSS finds as temporary certificates only while someone holds them).
class PKIXVerifyWorker : public NSSWorker {
 public:
  PKIXVerifyWorker(Napi::Env env, CERTCertificate* cert, PKIXArgs&& args, CERTCertList* keep)
      : NSSWorker(env, "the certificate was being verified"), cert_(CERT_DupCertificate(cert)), args_(std::move(args)),
        keep_(keep) {}
  ~PKIXVerifyWorker() override { ReleaseNSS(); }

 protected:
  // No pin argument off the JavaScript thread (the password function answers only there).
  void Work() override {
    CacheStapledResponses(cert_, args_.staples, nullptr);
    error_ = PKIXVerify(cert_, args_.usage, args_.at, args_.anchors.get(), args_.anchorsOnly, args_.revocation,
                        nullptr);
  }
  void ReleaseNSS() override {
    if (cert_ != nullptr) CERT_DestroyCertificate(cert_);
    cert_ = nullptr;
    args_.anchors.reset();
    if (keep_ != nullptr) CERT_DestroyCertList(keep_);
    keep_ = nullptr;
  }
  void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    deferred.Resolve(Napi::Number::New(env, error_));
  }

 private:
  CERTCertificate* cert_;
  PKIXArgs args_;
  CERTCertList* keep_;  // owned, may be null
  PRErrorCode error_ = 0;
};

}  // namespace

// verifyPKIXAsync(usage, atMillis, anchors, revocation, staples, keep: NativeCertificate[], anchorsOnly)
// → Promise<number>.
Napi::Value Certificate::VerifyPKIXAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  CERTCertificate* cert = Get(env);
  PKIXArgs args(info);
  CertListPtr keep = CertListFromArray(env, info[5], "keep");
  PKIXVerifyWorker* worker = new PKIXVerifyWorker(env, cert, std::move(args), keep.get());
  keep.release();  // the worker owns the list now
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Certificate::VerifyHostname(const Napi::CallbackInfo& info) {
  CERTCertificate* cert = Get(info.Env());
  std::string host = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(info.Env(), CERT_VerifyCertName(cert, host.c_str()) == SECSuccess);
}

Napi::Value Certificate::HasSignerInCaNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  Napi::Array names = info[0].As<Napi::Array>();
  std::vector<SECItem> items(names.Length());
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Buffer<uint8_t> buf = names.Get(i).As<Napi::Buffer<uint8_t>>();
    items[i] = {siBuffer, buf.Data(), static_cast<unsigned int>(buf.Length())};
  }
  CERTDistNames dist = {nullptr, static_cast<int>(items.size()), items.data(), nullptr};
  return Napi::Boolean::New(env, items.empty() ? false : NSS_CmpCertChainWCANames(cert, &dist) == SECSuccess);
}

Napi::Value Certificate::GetChain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  SECCertUsage usage = static_cast<SECCertUsage>(info[0].As<Napi::Number>().Int32Value());
  CERTCertList* chain = CERT_GetCertChainFromCert(cert, TimeArg(info[1]), usage);
  if (chain == nullptr) ThrowLastError(env, "CERT_GetCertChainFromCert");
  return FromList(env, chain);
}

// getTrust() → [sslFlags, emailFlags, objectSigningFlags], or null for a certificate without trust.
// (CERT_EncodeTrustString is not exported by libnss3; the letters are made in TypeScript.)
Napi::Value Certificate::GetTrust(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  CERTCertTrust trust;
  if (CERT_GetCertTrust(cert, &trust) != SECSuccess) return env.Null();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, trust.sslFlags);
  out.Set(1u, trust.emailFlags);
  out.Set(2u, trust.objectSigningFlags);
  return out;
}

// setTrust(trust, pinArgs): logs in and retries when the token wants it, as certutil does.
Napi::Value Certificate::SetTrust(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Get(env);
  std::string text = info[0].As<Napi::String>().Utf8Value();
  CERTCertTrust trust;
  if (CERT_DecodeTrustString(&trust, text.c_str()) != SECSuccess) {
    throw Napi::RangeError::New(env, "The \"trust\" argument is not a valid trust string: '" + text + "'");
  }
  // NSS derives the u (user) flag from the private key when it loads trust; keep it, so that this process
  // sees the same trust as the next one (and as certutil).
  CERTCertTrust old;
  if (CERT_GetCertTrust(cert, &old) == SECSuccess &&
      ((old.sslFlags | old.emailFlags | old.objectSigningFlags) & CERTDB_USER)) {
    trust.sslFlags |= CERTDB_USER;
    trust.emailFlags |= CERTDB_USER;
    trust.objectSigningFlags |= CERTDB_USER;
  }
  PinArg pin(env, info[1]);
  SECStatus status = CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), cert, &trust);
  if (status != SECSuccess && PR_GetError() == SEC_ERROR_TOKEN_NOT_LOGGED_IN) {
    PK11SlotInfo* slot = PK11_GetInternalKeySlot();
    if (PK11_Authenticate(slot, PR_TRUE, pin.wincx()) == SECSuccess) {
      status = CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), cert, &trust);
    }
    PK11_FreeSlot(slot);
  }
  pin.RethrowCallbackError();
  if (status != SECSuccess) ThrowLastError(env, "CERT_ChangeCertTrust");
  return env.Undefined();
}

}  // namespace nss
