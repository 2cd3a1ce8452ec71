// CertificateRequest: PKCS #10 requests (CERTCertificateRequest) — made and signed with a private key, or
// decoded with their signature checked. Also the pieces certificate issuing shares with it.
#pragma once
#include <cert.h>
#include <napi.h>

namespace nss {

// The signature algorithm for `key` with the digest named `hash` ('sha256' | 'sha384' | 'sha512').
SECOidTag SignatureAlgorithm(Napi::Env env, SECKEYPrivateKey* key, const std::string& hash);
// A distinguished name from RFC 4514 text (CERT_AsciiToName) or DER, allocated in `arena`. A string NSS
// cannot parse is a RangeError naming `argName`.
CERTName* NameArg(Napi::Env env, PLArenaPool* arena, const Napi::Value& value, const char* argName);
// A decoded SubjectPublicKeyInfo (SECKEY_DestroySubjectPublicKeyInfo frees it).
CERTSubjectPublicKeyInfo* PublicKeyInfoArg(Napi::Env env, const Napi::Value& value);
// Signs `tbs` (DER) with `key` into a DER SIGNED { ... } in `arena`; the pin argument answers a login.
SECItem SignDER(Napi::Env env, PLArenaPool* arena, const SECItem& tbs, SECKEYPrivateKey* key, SECOidTag algorithm,
                Napi::Value pinArgs);

void InitCertRequests(Napi::Env env, Napi::Object exports);

}  // namespace nss
