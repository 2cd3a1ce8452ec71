#include "cert_request.h"

#include <cryptohi.h>
#include <keyhi.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>

#include <memory>
#include <string>

#include "cert_extensions.h"
#include "context.h"
#include "errors.h"
#include "private_key.h"

namespace nss {

namespace {

// createCertificateRequest(key, spki, subject, extensions, hash, pinArgs) → DER PKCS #10.
Napi::Value CreateCertificateRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECKEYPrivateKey* key = PrivateKey::FromValue(info[0], "key");
  SECOidTag algorithm = SignatureAlgorithm(env, key, info[4].As<Napi::String>().Utf8Value());
  Arena arena = NewArena(env);
  CERTName* subject = NameArg(env, arena.get(), info[2], "subject");
  CERTSubjectPublicKeyInfo* spki = PublicKeyInfoArg(env, info[1]);
  CERTCertificateRequest* req = CERT_CreateCertificateRequest(subject, spki, nullptr);
  SECKEY_DestroySubjectPublicKeyInfo(spki);
  if (req == nullptr) ThrowLastError(env, "creating the certificate request");
  std::unique_ptr<CERTCertificateRequest, void (*)(CERTCertificateRequest*)> owned(req,
                                                                                    CERT_DestroyCertificateRequest);
  if (info[3].As<Napi::Array>().Length() > 0) {
    // The requested extensions go into one PKCS #9 extensionRequest attribute.
    void* handle = CERT_StartCertificateRequestAttributes(req);
    if (handle == nullptr) ThrowLastError(env, "starting the request's extensions");
    try {
      AddExtensions(env, handle, info[3]);
    } catch (...) {
      CERT_FinishExtensions(handle);
      throw;
    }
    if (CERT_FinishExtensions(handle) != SECSuccess || CERT_FinishCertificateRequestAttributes(req) != SECSuccess) {
      ThrowLastError(env, "encoding the request's extensions");
    }
  }
  SECItem* tbs = SEC_ASN1EncodeItem(arena.get(), nullptr, req, CERT_CertificateRequestTemplate);
  if (tbs == nullptr) ThrowLastError(env, "encoding the certificate request");
  SECItem der = SignDER(env, arena.get(), *tbs, key, algorithm, info[5]);
  return Napi::Buffer<uint8_t>::Copy(env, der.data, der.len);
}

// decodeCertificateRequest(der) → { subject, subjectName, spki, extensions }, after checking the request's
// signature with its own public key.
Napi::Value DecodeCertificateRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Arena arena = NewArena(env);
  SECItem input = BufferItem(info[0]);
  SECItem der = {siBuffer, nullptr, 0};
  if (SECITEM_CopyItem(arena.get(), &der, &input) != SECSuccess) ThrowLastError(env);
  CERTSignedData signedData = {};
  if (SEC_QuickDERDecodeItem(arena.get(), &signedData, CERT_SignedDataTemplate, &der) != SECSuccess) {
    throw MakeNSPRError(env, SEC_ERROR_BAD_DER, "decoding the certificate request");
  }
  CERTCertificateRequest* req = PORT_ArenaZNew(arena.get(), CERTCertificateRequest);
  if (req == nullptr) throw MakeNSPRError(env, SEC_ERROR_NO_MEMORY);
  req->arena = arena.get();
  if (SEC_ASN1DecodeItem(arena.get(), req, CERT_CertificateRequestTemplate, &signedData.data) != SECSuccess) {
    throw MakeNSPRError(env, SEC_ERROR_BAD_DER, "decoding the certificate request");
  }
  // The signature is checked before anything of the request is believed.
  if (CERT_VerifySignedDataWithPublicKeyInfo(&signedData, &req->subjectPublicKeyInfo, nullptr) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_BAD_SIGNATURE, "checking the certificate request's signature");
  }
  CERTCertExtension** extensions = nullptr;
  for (CERTAttribute** attr = req->attributes; attr != nullptr && *attr != nullptr; attr++) {
    if (SECOID_FindOIDTag(&(*attr)->attrType) != SEC_OID_PKCS9_EXTENSION_REQUEST) continue;
    if ((*attr)->attrValue == nullptr || (*attr)->attrValue[0] == nullptr ||
        SEC_ASN1DecodeItem(arena.get(), &extensions, CERT_SequenceOfCertExtensionTemplate, (*attr)->attrValue[0]) !=
            SECSuccess) {
      throw MakeNSPRError(env, SEC_ERROR_BAD_DER, "decoding the requested extensions");
    }
    break;
  }
  SECItem* name = SEC_ASN1EncodeItem(arena.get(), nullptr, &req->subject, CERT_NameTemplate);
  SECItem* spki =
      SEC_ASN1EncodeItem(arena.get(), nullptr, &req->subjectPublicKeyInfo, CERT_SubjectPublicKeyInfoTemplate);
  if (name == nullptr || spki == nullptr) ThrowLastError(env, "encoding the request's subject");
  Napi::Object out = Napi::Object::New(env);
  char* text = CERT_NameToAscii(&req->subject);
  out.Set("subject", text ? text : "");
  if (text) PORT_Free(text);
  out.Set("subjectName", Napi::Buffer<uint8_t>::Copy(env, name->data, name->len));
  out.Set("spki", Napi::Buffer<uint8_t>::Copy(env, spki->data, spki->len));
  out.Set("extensions", ExtensionList(env, extensions));
  return out;
}

}  // namespace

SECOidTag SignatureAlgorithm(Napi::Env env, SECKEYPrivateKey* key, const std::string& hash) {
  SECOidTag hashTag = hash == "sha256"   ? SEC_OID_SHA256
                      : hash == "sha384" ? SEC_OID_SHA384
                      : hash == "sha512" ? SEC_OID_SHA512
                                         : SEC_OID_UNKNOWN;
  if (hashTag == SEC_OID_UNKNOWN) throw Napi::RangeError::New(env, "The \"hash\" argument is not supported: " + hash);
  SECOidTag tag = SEC_GetSignatureAlgorithmOidTag(SECKEY_GetPrivateKeyType(key), hashTag);
  if (tag == SEC_OID_UNKNOWN) {
    throw MakeNSPRError(env, SEC_ERROR_INVALID_ALGORITHM,
                        std::string("signing with a ") + KeyTypeName(SECKEY_GetPrivateKeyType(key)) + " key");
  }
  return tag;
}

CERTName* NameArg(Napi::Env env, PLArenaPool* arena, const Napi::Value& value, const char* argName) {
  CERTName* out = PORT_ArenaZNew(arena, CERTName);
  if (out == nullptr) throw MakeNSPRError(env, SEC_ERROR_NO_MEMORY);
  if (value.IsBuffer()) {
    SECItem der = BufferItem(value);
    SECItem copy = {siBuffer, nullptr, 0};
    if (SECITEM_CopyItem(arena, &copy, &der) != SECSuccess ||
        SEC_QuickDERDecodeItem(arena, out, CERT_NameTemplate, &copy) != SECSuccess) {
      throw MakeNSPRError(env, SEC_ERROR_BAD_DER, std::string("decoding ") + argName);
    }
    return out;
  }
  std::string text = value.As<Napi::String>().Utf8Value();
  CERTName* parsed = CERT_AsciiToName(text.c_str());
  if (parsed == nullptr || parsed->rdns == nullptr || parsed->rdns[0] == nullptr) {
    if (parsed) CERT_DestroyName(parsed);
    throw Napi::RangeError::New(env, std::string("The \"") + argName +
                                         "\" argument is not a distinguished name NSS can read (RFC 4514, "
                                         "e.g. 'CN=Smartcard User,O=Example'): '" +
                                         text + "'");
  }
  SECStatus status = CERT_CopyName(arena, out, parsed);
  CERT_DestroyName(parsed);
  if (status != SECSuccess) ThrowLastError(env, std::string("copying ") + argName);
  return out;
}

CERTSubjectPublicKeyInfo* PublicKeyInfoArg(Napi::Env env, const Napi::Value& value) {
  SECItem der = BufferItem(value);
  CERTSubjectPublicKeyInfo* spki = SECKEY_DecodeDERSubjectPublicKeyInfo(&der);
  if (spki == nullptr) ThrowLastError(env, "decoding the public key");
  return spki;
}

SECItem SignDER(Napi::Env env, PLArenaPool* arena, const SECItem& tbs, SECKEYPrivateKey* key, SECOidTag algorithm,
                Napi::Value pinArgs) {
  SECItem out = {siBuffer, nullptr, 0};
  PinArg pin(env, pinArgs);
  // A token that wants a login asks through the key's own pin argument, which is the current PinArg.
  SECStatus status = SEC_DerSignData(arena, &out, tbs.data, static_cast<int>(tbs.len), key, algorithm);
  PRErrorCode error = PR_GetError();
  pin.RethrowCallbackError();
  if (status != SECSuccess) throw MakeNSPRError(env, error, "signing");
  return out;
}

void InitCertRequests(Napi::Env env, Napi::Object exports) {
  exports.Set("createCertificateRequest", Napi::Function::New(env, CreateCertificateRequest));
  exports.Set("decodeCertificateRequest", Napi::Function::New(env, DecodeCertificateRequest));
}

}  // namespace nss
