#include "cert_db.h"

#include <cert.h>
#include <certdb.h>
#include <p12.h>
#include <p12plcy.h>
#include <pk11pub.h>
#include <secerr.h>
#include <secport.h>

#include <mutex>
#include <vector>

#include "certificate.h"
#include "context.h"
#include "errors.h"
#include "private_key.h"
#include "slot.h"

namespace nss {

namespace {

SECItem BufferItem(const Napi::Value& value) {
  Napi::Buffer<uint8_t> buf = value.As<Napi::Buffer<uint8_t>>();
  return {siBuffer, buf.Data(), static_cast<unsigned int>(buf.Length())};
}

// Slot to authenticate for an operation: the one given (a PK11Slot or null) or the internal key slot.
PK11SlotInfo* SlotArg(const Napi::Value& value) {
  if (value.IsObject()) return PK11_ReferenceSlot(Slot::FromValue(value, "slot"));
  return PK11_GetInternalKeySlot();
}

Napi::Value FindCertFromNickname(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  std::string nickname = info[0].As<Napi::String>().Utf8Value();
  PinArg pin(env, info[1]);
  CERTCertificate* cert = PK11_FindCertFromNickname(nickname.c_str(), pin.wincx());
  pin.RethrowCallbackError();
  // NSS leaves no error of its own for "not found" (only stale ones), so name it as pk12util does.
  if (cert == nullptr) throw MakeNSPRError(env, SEC_ERROR_UNKNOWN_CERT, "no certificate named '" + nickname + "'");
  return Certificate::New(env, cert);
}

Napi::Value FindCertsFromNickname(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  std::string nickname = info[0].As<Napi::String>().Utf8Value();
  PinArg pin(env, info[1]);
  CERTCertList* list = PK11_FindCertsFromNickname(nickname.c_str(), pin.wincx());
  pin.RethrowCallbackError();
  return Certificate::FromList(env, list);
}

Napi::Value FindCertByDER(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  CERTCertificate* cert = CERT_FindCertByDERCert(CERT_GetDefaultCertDB(), &der);
  return cert ? Certificate::New(env, cert) : env.Null();
}

// A temporary certificate: in NSS's memory store, not in the database.
Napi::Value CertFromDER(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  PORT_SetError(0);
  CERTCertificate* cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, nullptr, PR_FALSE, PR_TRUE);
  if (cert == nullptr) {
    throw MakeNSPRError(env, PR_GetError() ? PR_GetError() : SEC_ERROR_BAD_DER, "decoding certificate");
  }
  return Certificate::New(env, cert);
}

// listCertificates(PK11CertListType, pinArgs). (CERT_GetCertNicknames is not used: in NSS 3.87 it only
// ever returns user certificates, whatever is asked; nickname lists are made in TypeScript.)
Napi::Value ListCertificates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PK11CertListType type = static_cast<PK11CertListType>(info[0].As<Napi::Number>().Int32Value());
  PinArg pin(env, info[1]);
  CERTCertList* list = PK11_ListCerts(type, pin.wincx());
  pin.RethrowCallbackError();
  return Certificate::FromList(env, list);
}

// importCertificate(der, nickname, slot | null, pinArgs): stores the certificate permanently. Without a
// slot it goes next to its private key when a token holds one (the key then gets the nickname as its
// label, as PK11_ImportCertForKey does), otherwise into the internal key slot.
Napi::Value ImportCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  SECItem der = BufferItem(info[0]);
  std::string nickname = info[1].As<Napi::String>().Utf8Value();
  PinArg pin(env, info[3]);
  CERTCertificate* cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, nullptr, PR_FALSE, PR_TRUE);
  if (cert == nullptr) ThrowLastError(env, "decoding certificate");
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  PK11SlotInfo* slot = info[2].IsObject() ? nullptr : PK11_KeyForCertExists(cert, &key, pin.wincx());
  if (slot == nullptr) slot = SlotArg(info[2]);
  SECStatus status = PK11_ImportCert(slot, cert, key, nickname.c_str(), PR_FALSE);
  if (status != SECSuccess && PR_GetError() == SEC_ERROR_TOKEN_NOT_LOGGED_IN &&
      PK11_Authenticate(slot, PR_TRUE, pin.wincx()) == SECSuccess) {
    status = PK11_ImportCert(slot, cert, key, nickname.c_str(), PR_FALSE);
  }
  PRErrorCode error = PR_GetError();
  PK11_FreeSlot(slot);
  if (status != SECSuccess) {
    CERT_DestroyCertificate(cert);
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error, "importing certificate '" + nickname + "'");
  }
  // Look it up again so the returned object reflects the stored nickname and trust.
  CERTCertificate* stored = CERT_FindCertByDERCert(CERT_GetDefaultCertDB(), &der);
  CERT_DestroyCertificate(cert);
  if (stored == nullptr) ThrowLastError(env, "finding imported certificate");
  return Certificate::New(env, stored);
}

Napi::Value DeleteCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  CERTCertificate* cert = Certificate::FromValue(info[0], "cert");
  bool withKey = info[1].ToBoolean();
  PinArg pin(env, info[2]);
  SECStatus status;
  if (withKey) {
    status = PK11_DeleteTokenCertAndKey(cert, pin.wincx());
    if (status != SECSuccess && PR_GetError() == SEC_ERROR_TOKEN_NOT_LOGGED_IN && cert->slot != nullptr &&
        PK11_Authenticate(cert->slot, PR_TRUE, pin.wincx()) == SECSuccess) {
      status = PK11_DeleteTokenCertAndKey(cert, pin.wincx());
    }
  } else {
    status = SEC_DeletePermCertificate(cert);
  }
  pin.RethrowCallbackError();
  if (status != SECSuccess) ThrowLastError(env, "deleting certificate");
  return env.Undefined();
}

Napi::Value FindKeyByAnyCert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  CERTCertificate* cert = Certificate::FromValue(info[0], "cert");
  PinArg pin(env, info[1]);
  PORT_SetError(0);  // NSS sets no error when there simply is no key
  SECKEYPrivateKey* key = PK11_FindKeyByAnyCert(cert, pin.wincx());
  PRErrorCode error = PR_GetError();
  pin.RethrowCallbackError();
  if (key == nullptr) throw MakeNSPRError(env, error ? error : SEC_ERROR_NO_KEY, "finding the private key");
  return PrivateKey::New(env, key);
}

// PKCS#12 passwords and friendly names are UCS-2; NSS converts through a process-wide hook that the
// application must provide. Text on our side is UTF-8. `swapBytes` means the UCS-2 side is little-endian.
PRBool ConvertUCS2(PRBool toUnicode, unsigned char* in, unsigned int inLength, unsigned char* out,
                   unsigned int maxOutLength, unsigned int* outLength, PRBool swapBytes) {
  if (toUnicode || !swapBytes) {
    return PORT_UCS2_UTF8Conversion(toUnicode, in, inLength, out, maxOutLength, outLength);
  }
  if (inLength % 2 != 0) return PR_FALSE;
  std::vector<unsigned char> bigEndian(in, in + inLength);
  for (size_t i = 0; i + 1 < bigEndian.size(); i += 2) std::swap(bigEndian[i], bigEndian[i + 1]);
  return PORT_UCS2_UTF8Conversion(PR_FALSE, bigEndian.data(), inLength, out, maxOutLength, outLength);
}

// Once per process: the UCS-2 hook, and every PKCS#12 cipher so that files from older tools decode.
void PreparePKCS12() {
  static std::once_flag once;
  std::call_once(once, [] {
    PORT_SetUCS2_ASCIIConversionFunction(ConvertUCS2);
    for (long cipher : {PKCS12_RC4_40, PKCS12_RC4_128, PKCS12_RC2_CBC_40, PKCS12_RC2_CBC_128, PKCS12_DES_56,
                        PKCS12_DES_EDE3_168, PKCS12_AES_CBC_128, PKCS12_AES_CBC_192, PKCS12_AES_CBC_256}) {
      SEC_PKCS12EnableCipher(cipher, 1);
    }
    SEC_PKCS12SetPreferredCipher(PKCS12_AES_CBC_256, 1);
  });
}

// NSS calls this for bags without a usable nickname (e.g. a CA certificate that has no friendly name).
SECItem* PKCS12Nickname(SECItem* oldNickname, PRBool* cancel, void* arg) {
  CERTCertificate* cert = static_cast<CERTCertificate*>(arg);
  if (cancel == nullptr || cert == nullptr) return nullptr;
  char* nickname = CERT_MakeCANickname(cert);
  if (nickname == nullptr) return nullptr;
  size_t length = PORT_Strlen(nickname);
  if (oldNickname != nullptr && oldNickname->len == length &&
      PORT_Memcmp(oldNickname->data, nickname, length) == 0) {
    PORT_Free(nickname);  // the same name again would collide again
    PORT_SetError(SEC_ERROR_PKCS12_DUPLICATE_DATA);
    return nullptr;
  }
  SECItem* out = PORT_ZNew(SECItem);
  if (out == nullptr) {
    PORT_Free(nickname);
    return nullptr;
  }
  out->type = siAsciiString;
  out->data = reinterpret_cast<unsigned char*>(nickname);
  out->len = static_cast<unsigned int>(length);
  return out;
}

// importPKCS12(data, ucs2Password, slot | null, pinArgs) → Certificate[] imported.
Napi::Value ImportPKCS12(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  SECItem data = BufferItem(info[0]);
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[3]);
  PK11SlotInfo* slot = SlotArg(info[2]);
  std::string step;
  CERTCertList* certs = nullptr;
  SEC_PKCS12DecoderContext* decoder = nullptr;
  SECStatus status = PK11_Authenticate(slot, PR_TRUE, pin.wincx());
  if (status != SECSuccess) {
    step = "logging in to the token";
  } else {
    decoder = SEC_PKCS12DecoderStart(&password, slot, pin.wincx(), nullptr, nullptr, nullptr, nullptr, nullptr);
    if (decoder == nullptr) {
      status = SECFailure;
      step = "starting the PKCS#12 decoder";
    }
  }
  if (status == SECSuccess && SEC_PKCS12DecoderUpdate(decoder, data.data, data.len) != SECSuccess) {
    status = SECFailure;
    step = "decoding PKCS#12 data";
  }
  if (status == SECSuccess && SEC_PKCS12DecoderVerify(decoder) != SECSuccess) {
    status = SECFailure;
    step = "verifying PKCS#12 integrity (wrong password?)";
  }
  if (status == SECSuccess && SEC_PKCS12DecoderValidateBags(decoder, PKCS12Nickname) != SECSuccess) {
    status = SECFailure;
    step = "validating PKCS#12 contents";
  }
  if (status == SECSuccess && SEC_PKCS12DecoderImportBags(decoder) != SECSuccess) {
    status = SECFailure;
    step = "importing PKCS#12 contents";
  }
  if (status == SECSuccess) certs = SEC_PKCS12DecoderGetCerts(decoder);
  PRErrorCode error = PR_GetError();
  if (decoder != nullptr) SEC_PKCS12DecoderFinish(decoder);
  PK11_FreeSlot(slot);
  pin.RethrowCallbackError();
  if (status != SECSuccess) throw MakeNSPRError(env, error, step);
  return Certificate::FromList(env, certs);
}

void AppendOutput(void* arg, const char* buf, unsigned long len) {
  static_cast<std::string*>(arg)->append(buf, len);
}

// exportPKCS12(nickname, utf8Password, pinArgs) → Buffer. Same algorithms as pk12util's defaults:
// AES-256-CBC (PBES2) for keys, AES-128-CBC for certificates, SHA-256 MAC.
Napi::Value ExportPKCS12(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  std::string nickname = info[0].As<Napi::String>().Utf8Value();
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[2]);
  PORT_SetError(0);  // "nothing found" leaves no error of its own
  CERTCertList* certs = PK11_FindCertsFromNickname(nickname.c_str(), pin.wincx());
  if (certs != nullptr && (CERT_FilterCertListForUserCerts(certs) != SECSuccess || CERT_LIST_EMPTY(certs))) {
    CERT_DestroyCertList(certs);
    certs = nullptr;
    PORT_SetError(SEC_ERROR_NO_KEY);
  }
  if (certs == nullptr) {
    PRErrorCode error = PR_GetError();
    pin.RethrowCallbackError();
    throw MakeNSPRError(env, error ? error : SEC_ERROR_UNKNOWN_CERT,
                        "no certificate with a private key named '" + nickname + "'");
  }
  PK11SlotInfo* slot = CERT_LIST_HEAD(certs)->cert->slot;
  std::string output, step;
  SECStatus status = PK11_Authenticate(slot, PR_TRUE, pin.wincx());
  SEC_PKCS12ExportContext* exporter = nullptr;
  if (status != SECSuccess) {
    step = "logging in to the token";
  } else {
    exporter = SEC_PKCS12CreateExportContext(nullptr, nullptr, slot, pin.wincx());
    if (exporter == nullptr || SEC_PKCS12AddPasswordIntegrity(exporter, &password, SEC_OID_SHA256) != SECSuccess) {
      status = SECFailure;
      step = "creating the PKCS#12 export";
    }
  }
  for (CERTCertListNode* node = CERT_LIST_HEAD(certs); status == SECSuccess && !CERT_LIST_END(node, certs);
       node = CERT_LIST_NEXT(node)) {
    SEC_PKCS12SafeInfo* keySafe = SEC_PKCS12CreateUnencryptedSafe(exporter);
    SEC_PKCS12SafeInfo* certSafe = SEC_PKCS12CreatePasswordPrivSafe(exporter, &password, SEC_OID_AES_128_CBC);
    if (keySafe == nullptr || certSafe == nullptr ||
        SEC_PKCS12AddCertAndKey(exporter, certSafe, nullptr, node->cert, CERT_GetDefaultCertDB(), keySafe,
                                nullptr, PR_TRUE, &password, SEC_OID_AES_256_CBC) != SECSuccess) {
      status = SECFailure;
      step = "adding the certificate and key";
    }
  }
  if (status == SECSuccess && SEC_PKCS12Encode(exporter, AppendOutput, &output) != SECSuccess) {
    status = SECFailure;
    step = "encoding PKCS#12";
  }
  PRErrorCode error = PR_GetError();
  if (exporter != nullptr) SEC_PKCS12DestroyExportContext(exporter);
  CERT_DestroyCertList(certs);
  pin.RethrowCallbackError();
  if (status != SECSuccess) throw MakeNSPRError(env, error, step);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(output.data()), output.size());
}

}  // namespace

void InitCertDB(Napi::Env env, Napi::Object exports) {
  exports.Set("findCertFromNickname", Napi::Function::New(env, FindCertFromNickname));
  exports.Set("findCertsFromNickname", Napi::Function::New(env, FindCertsFromNickname));
  exports.Set("findCertByDER", Napi::Function::New(env, FindCertByDER));
  exports.Set("certFromDER", Napi::Function::New(env, CertFromDER));
  exports.Set("listCertificates", Napi::Function::New(env, ListCertificates));
  exports.Set("importCertificate", Napi::Function::New(env, ImportCertificate));
  exports.Set("deleteCertificate", Napi::Function::New(env, DeleteCertificate));
  exports.Set("findKeyByAnyCert", Napi::Function::New(env, FindKeyByAnyCert));
  exports.Set("importPKCS12", Napi::Function::New(env, ImportPKCS12));
  exports.Set("exportPKCS12", Napi::Function::New(env, ExportPKCS12));
}

}  // namespace nss
