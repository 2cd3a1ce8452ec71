#include "cert_builder.h"

#include <cert.h>
#include <certdb.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <secasn1.h>
#include <secder.h>
#include <secerr.h>
#include <secoid.h>

#include <memory>
#include <string>

#include "cert_extensions.h"
#include "cert_request.h"
#include "certificate.h"
#include "context.h"
#include "errors.h"
#include "private_key.h"

namespace nss {

namespace {

using CertRef = std::unique_ptr<CERTCertificate, void (*)(CERTCertificate*)>;

PRTime TimeArg(const Napi::Value& value) {
  return static_cast<PRTime>(value.As<Napi::Number>().DoubleValue()) * PR_USEC_PER_MSEC;
}

// createCertificate({ subject, spki, issuer, key, serial, notBefore, notAfter, extensions, hash }, pinArgs)
//   → a temporary certificate. `subject` is RFC 4514 text or a DER Name; `issuer` null = self-signed;
//   `serial` the INTEGER's content octets; times in milliseconds.
Napi::Value CreateCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::Object opts = info[0].As<Napi::Object>();
  SECKEYPrivateKey* key = PrivateKey::FromValue(opts.Get("key"), "key");
  CERTCertificate* issuer = opts.Get("issuer").IsNull() ? nullptr : Certificate::FromValue(opts.Get("issuer"), "issuer");
  SECOidTag algorithm = SignatureAlgorithm(env, key, opts.Get("hash").As<Napi::String>().Utf8Value());
  Arena arena = NewArena(env);
  CERTName* subject = NameArg(env, arena.get(), opts.Get("subject"), "subject");

  CERTSubjectPublicKeyInfo* spki = PublicKeyInfoArg(env, opts.Get("spki"));
  CERTCertificateRequest* req = CERT_CreateCertificateRequest(subject, spki, nullptr);
  SECKEY_DestroySubjectPublicKeyInfo(spki);
  if (req == nullptr) ThrowLastError(env, "preparing the certificate");
  std::unique_ptr<CERTCertificateRequest, void (*)(CERTCertificateRequest*)> reqRef(req,
                                                                                     CERT_DestroyCertificateRequest);
  CERTValidity* validity = CERT_CreateValidity(TimeArg(opts.Get("notBefore")), TimeArg(opts.Get("notAfter")));
  if (validity == nullptr) ThrowLastError(env, "encoding the validity period");
  CERTCertificate* built = CERT_CreateCertificate(0, issuer ? &issuer->subject : subject, validity, req);
  CERT_DestroyValidity(validity);
  if (built == nullptr) ThrowLastError(env, "creating the certificate");
  CertRef builtRef(built, CERT_DestroyCertificate);

  // CERT_CreateCertificate only takes an unsigned long serial and makes a version 1 certificate.
  SECItem serial = BufferItem(opts.Get("serial"));
  if (SECITEM_CopyItem(built->arena, &built->serialNumber, &serial) != SECSuccess ||
      DER_SetUInteger(built->arena, &built->version, SEC_CERTIFICATE_VERSION_3) != SECSuccess) {
    ThrowLastError(env, "setting the serial number");
  }
  void* handle = CERT_StartCertExtensions(built);
  if (handle == nullptr) ThrowLastError(env, "starting the certificate's extensions");
  try {
    AddExtensions(env, handle, opts.Get("extensions"));
  } catch (...) {
    CERT_FinishExtensions(handle);
    throw;
  }
  if (CERT_FinishExtensions(handle) != SECSuccess) ThrowLastError(env, "encoding the certificate's extensions");

  if (SECOID_SetAlgorithmID(built->arena, &built->signature, algorithm, nullptr) != SECSuccess) {
    ThrowLastError(env, "setting the signature algorithm");
  }
  SECItem* tbs = SEC_ASN1EncodeItem(arena.get(), nullptr, built, CERT_CertificateTemplate);
  if (tbs == nullptr) ThrowLastError(env, "encoding the certificate");
  SECItem der = SignDER(env, arena.get(), *tbs, key, algorithm, info[1]);

  // The signature must verify with the issuer's public key (or the certificate's own when self-signed):
  // a signing key that does not belong to the issuer certificate fails here, not later in a verifier.
  CERTSignedData signedData = {};
  if (SEC_QuickDERDecodeItem(arena.get(), &signedData, CERT_SignedDataTemplate, &der) != SECSuccess) {
    ThrowLastError(env, "decoding the signed certificate");
  }
  CERTSubjectPublicKeyInfo* signer = issuer ? &issuer->subjectPublicKeyInfo : &built->subjectPublicKeyInfo;
  if (CERT_VerifySignedDataWithPublicKeyInfo(&signedData, signer, nullptr) != SECSuccess) {
    PRErrorCode error = PR_GetError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_BAD_SIGNATURE,
                        issuer ? "the signing key does not belong to the issuer certificate"
                               : "the signing key does not belong to the certificate's public key");
  }
  CERTCertificate* cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, nullptr, PR_FALSE, PR_TRUE);
  if (cert == nullptr) ThrowLastError(env, "decoding the new certificate");
  return Certificate::New(env, cert);
}

}  // namespace

void InitCertBuilder(Napi::Env env, Napi::Object exports) {
  exports.Set("createCertificate", Napi::Function::New(env, CreateCertificate));
}

}  // namespace nss
