#include "certificate.h"

#include <memory>
#include <certdb.h>
#include <keyhi.h>
#include <prprf.h>
#include <secder.h>
#include <secerr.h>
#include <ssl.h>

#include "cert_extensions.h"
#include "cert_info.h"
#include "errors.h"
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
  SECCertificateUsage returned = 0;
  SECStatus status =
      CERT_VerifyCertificate(CERT_GetDefaultCertDB(), cert, checkSig, required, at, pin.wincx(), &log, &returned);
  PRErrorCode error = status == SECSuccess ? 0 : PR_GetError();

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
