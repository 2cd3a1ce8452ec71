#include "cert_db.h"

#include <cert.h>
#include <certdb.h>
#include <p12.h>
#include <p12plcy.h>
#include <pk11pub.h>
#include <secerr.h>
#include <secport.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "certificate.h"
#include "context.h"
#include "errors.h"
#include "pkcs12.h"
#include "private_key.h"
#include "slot.h"

namespace nss {

namespace {

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

// Logs in to `slot` with the caller's pin args, on the JavaScript thread where the password callback answers.
void AuthenticateForPKCS12(Napi::Env env, PK11SlotInfo* slot, PinArg& pin) {
  if (PK11_Authenticate(slot, PR_TRUE, pin.wincx()) == SECSuccess) {
    pin.RethrowCallbackError();
    return;
  }
  PRErrorCode error = PR_GetError();
  pin.RethrowCallbackError();
  throw MakeNSPRError(env, error, "logging in to the token");
}

// importPKCS12(data, ucs2Password, slot | null, pinArgs) → Certificate[] imported.
Napi::Value ImportPKCS12(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  SECItem data = BufferItem(info[0]);
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[3]);
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slot(SlotArg(info[2]), PK11_FreeSlot);
  AuthenticateForPKCS12(env, slot.get(), pin);
  PKCS12Outcome outcome;
  CERTCertList* certs = DecodePKCS12(slot.get(), &data, &password, pin.wincx(), &outcome);
  pin.RethrowCallbackError();
  if (!outcome.ok()) throw MakeNSPRError(env, outcome.error, outcome.step);
  return Certificate::FromList(env, certs);
}

// readPKCS12Certificates(data, ucs2Password, pinArgs) → { certificates: [{ der, hasKey }], keyBags }: the
// certificates of a PKCS#12 file and how many key bags it has, its integrity checked, nothing imported. A
// FIPS-mode token decrypts only once logged in.
Napi::Value ReadPKCS12CertificatesValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  SECItem data = BufferItem(info[0]);
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[2]);
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slot(PK11_GetInternalKeySlot(), PK11_FreeSlot);
  if (PK11_IsFIPS()) AuthenticateForPKCS12(env, slot.get(), pin);
  PKCS12Outcome outcome;
  std::vector<PKCS12Certificate> certificates;
  size_t keyBags = 0;
  ReadPKCS12Certificates(slot.get(), &data, &password, pin.wincx(), &certificates, &keyBags, &outcome);
  pin.RethrowCallbackError();
  if (!outcome.ok()) throw MakeNSPRError(env, outcome.error, outcome.step);
  Napi::Array list = Napi::Array::New(env, certificates.size());
  for (size_t i = 0; i < certificates.size(); i++) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("der", Napi::Buffer<char>::Copy(env, certificates[i].der.data(), certificates[i].der.size()));
    entry.Set("hasKey", Napi::Boolean::New(env, certificates[i].hasKey));
    list.Set(static_cast<uint32_t>(i), entry);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("certificates", list);
  out.Set("keyBags", Napi::Number::New(env, static_cast<double>(keyBags)));
  return out;
}

// importPKCS12 on a libuv worker: each PBKDF2 of a file from pk12util or exportPKCS12 (600,000 iterations;
// three per file) blocks for about 0.1 s here. The login happened on the JavaScript thread.
class PKCS12ImportWorker : public NSSWorker {
 public:
  PKCS12ImportWorker(Napi::Env env, PK11SlotInfo* slot, const SECItem& data, const SECItem& password)
      : NSSWorker(env, "the PKCS#12 data was being imported"), slot_(PK11_ReferenceSlot(slot)),
        data_(data.data, data.data + data.len), password_(password.data, password.data + password.len) {}
  ~PKCS12ImportWorker() override {
    ReleaseNSS();
    std::fill(password_.begin(), password_.end(), 0);
  }

 protected:
  void Work() override {
    SECItem data = {siBuffer, data_.data(), static_cast<unsigned int>(data_.size())};
    SECItem password = {siBuffer, password_.data(), static_cast<unsigned int>(password_.size())};
    certs_ = DecodePKCS12(slot_, &data, &password, nullptr, &outcome_);
  }
  void ReleaseNSS() override {
    if (certs_ != nullptr) CERT_DestroyCertList(certs_);
    if (slot_ != nullptr) PK11_FreeSlot(slot_);
    certs_ = nullptr;
    slot_ = nullptr;
  }
  void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    if (!outcome_.ok()) {
      deferred.Reject(MakeNSPRError(env, outcome_.error, outcome_.step).Value());
      return;
    }
    CERTCertList* certs = certs_;
    certs_ = nullptr;
    deferred.Resolve(Certificate::FromList(env, certs));
  }

 private:
  PK11SlotInfo* slot_;
  std::vector<unsigned char> data_;
  std::vector<unsigned char> password_;
  CERTCertList* certs_ = nullptr;
  PKCS12Outcome outcome_;
};

// importPKCS12Async(data, ucs2Password, slot | null, pinArgs) → Promise<Certificate[]>.
Napi::Value ImportPKCS12Async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  SECItem data = BufferItem(info[0]);
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[3]);
  std::unique_ptr<PK11SlotInfo, void (*)(PK11SlotInfo*)> slot(SlotArg(info[2]), PK11_FreeSlot);
  AuthenticateForPKCS12(env, slot.get(), pin);
  PKCS12ImportWorker* worker = new PKCS12ImportWorker(env, slot.get(), data, password);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void AppendOutput(void* arg, const char* buf, unsigned long len) {
  static_cast<std::string*>(arg)->append(buf, len);
}

// The user certificates called `nickname` (throws NSPRError when there is none), with their token logged in.
CERTCertList* CertsForExport(Napi::Env env, const std::string& nickname, PinArg& pin) {
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
  std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> owned(certs, CERT_DestroyCertList);
  AuthenticateForPKCS12(env, CERT_LIST_HEAD(certs)->cert->slot, pin);
  return owned.release();
}

// Encodes `certs` with their keys into `output`, with pk12util's default algorithms: AES-256-CBC (PBES2)
// for keys, AES-128-CBC for certificates, SHA-256 MAC. `wincx` is null on a worker.
void EncodePKCS12(CERTCertList* certs, SECItem* password, void* wincx, std::string* output, PKCS12Outcome* outcome) {
  PK11SlotInfo* slot = CERT_LIST_HEAD(certs)->cert->slot;
  SEC_PKCS12ExportContext* exporter = SEC_PKCS12CreateExportContext(nullptr, nullptr, slot, wincx);
  if (exporter == nullptr || SEC_PKCS12AddPasswordIntegrity(exporter, password, SEC_OID_SHA256) != SECSuccess) {
    outcome->Fail("creating the PKCS#12 export");
  }
  for (CERTCertListNode* node = CERT_LIST_HEAD(certs); outcome->ok() && !CERT_LIST_END(node, certs);
       node = CERT_LIST_NEXT(node)) {
    SEC_PKCS12SafeInfo* keySafe = SEC_PKCS12CreateUnencryptedSafe(exporter);
    SEC_PKCS12SafeInfo* certSafe = SEC_PKCS12CreatePasswordPrivSafe(exporter, password, SEC_OID_AES_128_CBC);
    if (keySafe == nullptr || certSafe == nullptr ||
        SEC_PKCS12AddCertAndKey(exporter, certSafe, nullptr, node->cert, CERT_GetDefaultCertDB(), keySafe,
                                nullptr, PR_TRUE, password, SEC_OID_AES_256_CBC) != SECSuccess) {
      outcome->Fail("adding the certificate and key");
    }
  }
  if (outcome->ok() && SEC_PKCS12Encode(exporter, AppendOutput, output) != SECSuccess) {
    outcome->Fail("encoding PKCS#12");
  }
  if (exporter != nullptr) SEC_PKCS12DestroyExportContext(exporter);
}

// exportPKCS12(nickname, utf8Password, pinArgs) → Buffer.
Napi::Value ExportPKCS12(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  std::string nickname = info[0].As<Napi::String>().Utf8Value();
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[2]);
  std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> certs(CertsForExport(env, nickname, pin),
                                                                CERT_DestroyCertList);
  std::string output;
  PKCS12Outcome outcome;
  EncodePKCS12(certs.get(), &password, pin.wincx(), &output, &outcome);
  pin.RethrowCallbackError();
  if (!outcome.ok()) throw MakeNSPRError(env, outcome.error, outcome.step);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(output.data()), output.size());
}

// exportPKCS12 on a libuv worker (see PKCS12ImportWorker). The certificates were found and their token
// logged in on the JavaScript thread.
class PKCS12ExportWorker : public NSSWorker {
 public:
  PKCS12ExportWorker(Napi::Env env, CERTCertList* certs, const SECItem& password)
      : NSSWorker(env, "the PKCS#12 data was being exported"), certs_(certs),
        password_(password.data, password.data + password.len) {}
  ~PKCS12ExportWorker() override {
    ReleaseNSS();
    std::fill(password_.begin(), password_.end(), 0);
  }

 protected:
  void Work() override {
    SECItem password = {siBuffer, password_.data(), static_cast<unsigned int>(password_.size())};
    EncodePKCS12(certs_, &password, nullptr, &output_, &outcome_);
  }
  void ReleaseNSS() override {
    if (certs_ != nullptr) CERT_DestroyCertList(certs_);
    certs_ = nullptr;
  }
  void Complete(Napi::Env env, Napi::Promise::Deferred& deferred) override {
    if (!outcome_.ok()) {
      deferred.Reject(MakeNSPRError(env, outcome_.error, outcome_.step).Value());
      return;
    }
    deferred.Resolve(
        Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(output_.data()), output_.size()));
  }

 private:
  CERTCertList* certs_;  // owned
  std::vector<unsigned char> password_;
  std::string output_;
  PKCS12Outcome outcome_;
};

// exportPKCS12Async(nickname, utf8Password, pinArgs) → Promise<Buffer>.
Napi::Value ExportPKCS12Async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  PreparePKCS12();
  std::string nickname = info[0].As<Napi::String>().Utf8Value();
  SECItem password = BufferItem(info[1]);
  PinArg pin(env, info[2]);
  std::unique_ptr<CERTCertList, void (*)(CERTCertList*)> certs(CertsForExport(env, nickname, pin),
                                                                CERT_DestroyCertList);
  PKCS12ExportWorker* worker = new PKCS12ExportWorker(env, certs.get(), password);
  certs.release();  // the worker owns the list now
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
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
  exports.Set("readPKCS12Certificates", Napi::Function::New(env, ReadPKCS12CertificatesValue));
  exports.Set("exportPKCS12", Napi::Function::New(env, ExportPKCS12));
  exports.Set("importPKCS12Async", Napi::Function::New(env, ImportPKCS12Async));
  exports.Set("exportPKCS12Async", Napi::Function::New(env, ExportPKCS12Async));
}

}  // namespace nss
