#include "cert_extensions.h"

#include <arpa/inet.h>
#include <certdb.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <prprf.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>

#include <vector>

#include "certificate.h"
#include "errors.h"

namespace nss {

namespace {

// SEQUENCE OF OBJECT IDENTIFIER (ExtKeyUsageSyntax), over a NULL-terminated SECItem* array.
const SEC_ASN1Template kOidSequenceTemplate[] = {
    {SEC_ASN1_SEQUENCE_OF, 0, SEC_ObjectIDTemplate, 0},
};

Napi::Buffer<uint8_t> ItemBuffer(Napi::Env env, const SECItem& item) {
  return Napi::Buffer<uint8_t>::Copy(env, item.data, item.len);
}

// encodeAltNames([{ type: 'dns' | 'ip' | 'email' | 'uri', value }]) → DER GeneralNames.
Napi::Value EncodeAltNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array names = info[0].As<Napi::Array>();
  Arena arena = NewArena(env);
  CERTGeneralName* head = nullptr;
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Object entry = names.Get(i).As<Napi::Object>();
    std::string type = entry.Get("type").As<Napi::String>().Utf8Value();
    std::string value = entry.Get("value").As<Napi::String>().Utf8Value();
    CERTGeneralName* name = PORT_ArenaZNew(arena.get(), CERTGeneralName);
    if (name == nullptr) throw MakeNSPRError(env, SEC_ERROR_NO_MEMORY);
    PR_INIT_CLIST(&name->l);
    std::vector<unsigned char> bytes(value.begin(), value.end());
    if (type == "dns") {
      name->type = certDNSName;
    } else if (type == "email") {
      name->type = certRFC822Name;
    } else if (type == "uri") {
      name->type = certURI;
    } else if (type == "ip") {
      name->type = certIPAddress;
      unsigned char addr[16];
      if (inet_pton(AF_INET, value.c_str(), addr) == 1) {
        bytes.assign(addr, addr + 4);
      } else if (inet_pton(AF_INET6, value.c_str(), addr) == 1) {
        bytes.assign(addr, addr + 16);
      } else {
        throw Napi::RangeError::New(env, "Not an IP address: '" + value + "'");
      }
    } else {
      throw Napi::RangeError::New(env, "Unknown subject alternative name type: '" + type + "'");
    }
    name->name.other.type = siBuffer;
    name->name.other.len = static_cast<unsigned int>(bytes.size());
    name->name.other.data = static_cast<unsigned char*>(PORT_ArenaAlloc(arena.get(), bytes.size() + 1));
    if (name->name.other.data == nullptr) throw MakeNSPRError(env, SEC_ERROR_NO_MEMORY);
    if (!bytes.empty()) PORT_Memcpy(name->name.other.data, bytes.data(), bytes.size());
    if (head == nullptr) {
      head = name;
    } else {
      PR_APPEND_LINK(&name->l, &head->l);
    }
  }
  SECItem out = {siBuffer, nullptr, 0};
  if (head == nullptr || CERT_EncodeAltNameExtension(arena.get(), head, &out) != SECSuccess) {
    ThrowLastError(env, "encoding subject alternative names");
  }
  return ItemBuffer(env, out);
}

// encodeKeyUsage(bits) → DER BIT STRING (KU_* bits of the first octet; trailing zero bits dropped, as DER
// wants for a named bit list).
Napi::Value EncodeKeyUsage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned char bits = static_cast<unsigned char>(info[0].As<Napi::Number>().Uint32Value() & 0xff);
  unsigned int length = 8;
  while (length > 0 && (bits & (0x80 >> (length - 1))) == 0) length--;
  SECItem bitString = {siBuffer, &bits, length};  // BIT STRING lengths are in bits
  Arena arena = NewArena(env);
  SECItem* out = SEC_ASN1EncodeItem(arena.get(), nullptr, &bitString, SEC_BitStringTemplate);
  if (out == nullptr) ThrowLastError(env, "encoding key usage");
  return ItemBuffer(env, *out);
}

// encodeExtKeyUsage(['1.3.6.1.5.5.7.3.1', ...]) → DER ExtKeyUsageSyntax.
Napi::Value EncodeExtKeyUsage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array oids = info[0].As<Napi::Array>();
  Arena arena = NewArena(env);
  std::vector<SECItem*> items;
  for (uint32_t i = 0; i < oids.Length(); i++) {
    std::string text = oids.Get(i).As<Napi::String>().Utf8Value();
    SECItem* item = PORT_ArenaZNew(arena.get(), SECItem);
    if (item == nullptr || SEC_StringToOID(arena.get(), item, text.c_str(), 0) != SECSuccess) {
      throw Napi::RangeError::New(env, "Not an object identifier: '" + text + "'");
    }
    items.push_back(item);
  }
  items.push_back(nullptr);
  SECItem** list = items.data();
  SECItem* out = SEC_ASN1EncodeItem(arena.get(), nullptr, &list, kOidSequenceTemplate);
  if (out == nullptr) ThrowLastError(env, "encoding extended key usage");
  return ItemBuffer(env, *out);
}

// encodeBasicConstraints(isCA, pathLength | -1) → DER BasicConstraints.
Napi::Value EncodeBasicConstraints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTBasicConstraints constraints;
  constraints.isCA = info[0].ToBoolean() ? PR_TRUE : PR_FALSE;
  int pathLength = info[1].As<Napi::Number>().Int32Value();
  constraints.pathLenConstraint = pathLength < 0 ? CERT_UNLIMITED_PATH_CONSTRAINT : pathLength;
  Arena arena = NewArena(env);
  SECItem out = {siBuffer, nullptr, 0};
  if (CERT_EncodeBasicConstraintValue(arena.get(), &constraints, &out) != SECSuccess) {
    ThrowLastError(env, "encoding basic constraints");
  }
  return ItemBuffer(env, out);
}

Napi::Value EncodeSubjectKeyID(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECItem keyID = BufferItem(info[0]);
  Arena arena = NewArena(env);
  SECItem out = {siBuffer, nullptr, 0};
  if (CERT_EncodeSubjectKeyID(arena.get(), &keyID, &out) != SECSuccess) {
    ThrowLastError(env, "encoding the subject key identifier");
  }
  return ItemBuffer(env, out);
}

// encodeAuthorityKeyID(keyID) → DER AuthorityKeyIdentifier holding only the keyIdentifier.
Napi::Value EncodeAuthorityKeyID(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arena arena = NewArena(env);
  CERTAuthKeyID value = {};
  value.keyID = BufferItem(info[0]);
  SECItem out = {siBuffer, nullptr, 0};
  if (CERT_EncodeAuthKeyID(arena.get(), &value, &out) != SECSuccess) {
    ThrowLastError(env, "encoding the authority key identifier");
  }
  return ItemBuffer(env, out);
}

// keyIdentifier(spki) → SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 4.2.1.2, method 1).
Napi::Value KeyIdentifier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SECItem der = BufferItem(info[0]);
  CERTSubjectPublicKeyInfo* spki = SECKEY_DecodeDERSubjectPublicKeyInfo(&der);
  if (spki == nullptr) ThrowLastError(env, "decoding the public key");
  SECItem bits = spki->subjectPublicKey;
  DER_ConvertBitString(&bits);  // length in bits → bytes
  unsigned char digest[20];
  SECStatus status = PK11_HashBuf(SEC_OID_SHA1, digest, bits.data, static_cast<PRInt32>(bits.len));
  SECKEY_DestroySubjectPublicKeyInfo(spki);
  if (status != SECSuccess) ThrowLastError(env, "hashing the public key");
  return Napi::Buffer<uint8_t>::Copy(env, digest, sizeof digest);
}

// certificateKeyInfo(cert) → { spki: DER SubjectPublicKeyInfo, subjectKeyID: Buffer | null }.
Napi::Value CertificateKeyInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CERTCertificate* cert = Certificate::FromValue(info[0], "cert");
  Arena arena = NewArena(env);
  SECItem* spki = SEC_ASN1EncodeItem(arena.get(), nullptr, &cert->subjectPublicKeyInfo,
                                     CERT_SubjectPublicKeyInfoTemplate);
  if (spki == nullptr) ThrowLastError(env, "encoding the certificate's public key");
  Napi::Object out = Napi::Object::New(env);
  out.Set("spki", ItemBuffer(env, *spki));
  SECItem keyID = {siBuffer, nullptr, 0};
  if (CERT_FindSubjectKeyIDExtension(cert, &keyID) == SECSuccess) {
    out.Set("subjectKeyID", ItemBuffer(env, keyID));
    SECITEM_FreeItem(&keyID, PR_FALSE);
  } else {
    out.Set("subjectKeyID", env.Null());
  }
  return out;
}

}  // namespace

Arena NewArena(Napi::Env env) {
  PLArenaPool* arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
  if (arena == nullptr) throw MakeNSPRError(env, SEC_ERROR_NO_MEMORY);
  return Arena(arena);
}

void AddExtensions(Napi::Env env, void* handle, Napi::Value extensions) {
  Napi::Array list = extensions.As<Napi::Array>();
  Arena arena = NewArena(env);
  // NSS's extension handle writes the extensions in the reverse order of addition: add the last first, so
  // that the DER keeps the caller's order.
  for (uint32_t i = list.Length(); i-- > 0;) {
    Napi::Object ext = list.Get(i).As<Napi::Object>();
    std::string text = ext.Get("oid").As<Napi::String>().Utf8Value();
    SECItem oid = {siBuffer, nullptr, 0};
    if (SEC_StringToOID(arena.get(), &oid, text.c_str(), 0) != SECSuccess) {
      throw Napi::RangeError::New(env, "Not an object identifier: '" + text + "'");
    }
    SECItem value = BufferItem(ext.Get("value"));
    PRBool critical = ext.Get("critical").ToBoolean() ? PR_TRUE : PR_FALSE;
    if (CERT_AddExtensionByOID(handle, &oid, &value, critical, PR_TRUE) != SECSuccess) {
      ThrowLastError(env, "adding extension " + text);
    }
  }
}

Napi::Array ExtensionList(Napi::Env env, CERTCertExtension** extensions) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (CERTCertExtension** ext = extensions; ext != nullptr && *ext != nullptr; ext++) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("oid", OidToString(&(*ext)->id));
    bool critical = (*ext)->critical.len > 0 && (*ext)->critical.data[0] != 0;
    entry.Set("critical", Napi::Boolean::New(env, critical));
    entry.Set("value", ItemBuffer(env, (*ext)->value));
    out.Set(n++, entry);
  }
  return out;
}

void InitCertExtensions(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeAltNames", Napi::Function::New(env, EncodeAltNames));
  exports.Set("encodeKeyUsage", Napi::Function::New(env, EncodeKeyUsage));
  exports.Set("encodeExtKeyUsage", Napi::Function::New(env, EncodeExtKeyUsage));
  exports.Set("encodeBasicConstraints", Napi::Function::New(env, EncodeBasicConstraints));
  exports.Set("encodeSubjectKeyID", Napi::Function::New(env, EncodeSubjectKeyID));
  exports.Set("encodeAuthorityKeyID", Napi::Function::New(env, EncodeAuthorityKeyID));
  exports.Set("keyIdentifier", Napi::Function::New(env, KeyIdentifier));
  exports.Set("certificateKeyInfo", Napi::Function::New(env, CertificateKeyInfo));
}

}  // namespace nss
