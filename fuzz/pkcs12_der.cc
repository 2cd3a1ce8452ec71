// libFuzzer harnesses for the addon's decoders of untrusted files, built twice:
//   FUZZ_PKCS12: CertDB.importPKCS12's native path (native/nss/pkcs12.cc, DecodePKCS12: decode, verify the
//     MAC, validate and import the bags) into a fresh database built at start-up, tried with the password
//     "fuzz" and then the empty one (the corpus holds files made with each).
//   FUZZ_CERT_DER: Certificate.fromDER (CERT_NewTempCertificate, as cert_db.cc's CertFromDER calls it) and
//     what Certificate.info(), extensions and verifyHostname then read (native/nss/cert_info.cc).
// PEM is parsed in TypeScript (src/pki/pem.ts): the native entry point for PEM input is this same DER one.
#include <cert.h>
#include <certdb.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <secder.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../native/nss/cert_info.h"
#include "common.h"
#if FUZZ_PKCS12
#include "../native/nss/pkcs12.h"
#endif

namespace {

#if FUZZ_PKCS12
PK11SlotInfo* gSlot = nullptr;

// PBKDF2's iteration count comes from the file, and NSS takes any (measured: 600,000, what pk12util and
// exportPKCS12 write, costs about 0.1 s per derivation here; 2^31 would run for minutes). Inputs with an
// iteration count above this bound are skipped so that the fuzzer measures parsing, not key stretching.
// Every count in a PFX (MacData, PKCS#12 PBE and PBKDF2 parameters) is the INTEGER right after the salt's
// OCTET STRING; random bytes rarely look like that, whereas any INTEGER would match in every ciphertext.
constexpr uint64_t kMaxIterations = 100000;

// The DER or BER length at data[*pos] (short form or up to 4 octets); false when it runs off the end.
bool ReadLength(const uint8_t* data, size_t size, size_t* pos, size_t* length) {
  if (*pos >= size) return false;
  size_t first = data[(*pos)++];
  if (!(first & 0x80)) {
    *length = first;
  } else {
    size_t octets = first & 0x7f;
    if (octets == 0 || octets > 4 || *pos + octets > size) return false;
    *length = 0;
    for (size_t k = 0; k < octets; k++) *length = *length << 8 | data[(*pos)++];
  }
  return *pos + *length <= size;
}

bool HasLargeIterationCount(const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; i++) {
    if (data[i] != 0x04) continue;  // OCTET STRING: a salt?
    size_t pos = i + 1, length = 0;
    if (!ReadLength(data, size, &pos, &length)) continue;
    pos += length;
    if (pos >= size || data[pos] != 0x02) continue;  // INTEGER right after it
    pos++;
    if (!ReadLength(data, size, &pos, &length)) continue;
    uint64_t value = 0;
    for (size_t k = 0; k < length; k++) {
      if (value > kMaxIterations) return true;
      value = value << 8 | data[pos + k];
    }
    if (value > kMaxIterations) return true;
  }
  return false;
}

SECItem UCS2(const char* password) {
  static std::vector<unsigned char> storage[2];
  std::vector<unsigned char>& s = storage[password[0] == '\0' ? 0 : 1];
  s.clear();
  for (const char* p = password; *p; p++) {
    s.push_back(0);
    s.push_back(static_cast<unsigned char>(*p));
  }
  s.push_back(0);
  s.push_back(0);
  return {siBuffer, s.data(), static_cast<unsigned int>(s.size())};
}

// What a successful import left in the database goes again, so every input starts from the same state.
void EmptyDatabase() {
  if (CERTCertList* certs = PK11_ListCertsInSlot(gSlot)) {
    for (CERTCertListNode* n = CERT_LIST_HEAD(certs); !CERT_LIST_END(n, certs); n = CERT_LIST_NEXT(n)) {
      if (PK11_DeleteTokenCertAndKey(n->cert, nullptr) != SECSuccess) SEC_DeletePermCertificate(n->cert);
    }
    CERT_DestroyCertList(certs);
  }
  if (SECKEYPrivateKeyList* keys = PK11_ListPrivKeysInSlot(gSlot, nullptr, nullptr)) {
    for (SECKEYPrivateKeyListNode* n = PRIVKEY_LIST_HEAD(keys); !PRIVKEY_LIST_END(n, keys); n = PRIVKEY_LIST_NEXT(n)) {
      PK11_DestroyTokenObject(n->key->pkcs11Slot, n->key->pkcs11ID);
    }
    SECKEY_DestroyPrivateKeyList(keys);
  }
}
#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
#if FUZZ_PKCS12
  // A database of our own (importPKCS12 stores into one), initialized as context.cc does with a dbDir.
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/node-nss-fuzz-p12-XXXXXX";
  if (mkdtemp(&dir[0]) == nullptr) abort();
  std::string config = "sql:" + dir;
  if (NSS_InitContext(config.c_str(), "", "", "", nullptr, NSS_INIT_PK11RELOAD | NSS_INIT_NOPK11FINALIZE |
                                                              NSS_INIT_NOROOTINIT) == nullptr) {
    fprintf(stderr, "NSS_InitContext(%s) failed: %d\n", config.c_str(), PR_GetError());
    abort();
  }
  NSS_SetDomesticPolicy();
  gSlot = PK11_GetInternalKeySlot();
  if (PK11_NeedUserInit(gSlot)) PK11_InitPin(gSlot, nullptr, "");
  if (PK11_Authenticate(gSlot, PR_TRUE, nullptr) != SECSuccess) abort();
  nss::PreparePKCS12();
  fprintf(stderr, "PKCS#12 harness database: %s\n", dir.c_str());
#else
  fuzz::InitNSS();
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#if FUZZ_PKCS12
  if (HasLargeIterationCount(data, size)) return 0;
  std::vector<unsigned char> copy(data, data + size);
  SECItem item = {siBuffer, copy.data(), static_cast<unsigned int>(copy.size())};
  for (const char* password : {"fuzz", ""}) {
    SECItem ucs2 = UCS2(password);
    nss::PKCS12Outcome outcome;
    CERTCertList* certs = nss::DecodePKCS12(gSlot, &item, &ucs2, nullptr, &outcome);
    // How far the decoder got (the step and NSS's error, see common.h's Feature) and what it imported.
    fuzz::Feature(1, static_cast<uint32_t>(outcome.step.size()) << 24 | (static_cast<uint32_t>(outcome.error) & 0xffffff));
    if (certs != nullptr) {
      uint32_t count = 0;
      // Certificate::FromList's walk: a reference to each.
      for (CERTCertListNode* n = CERT_LIST_HEAD(certs); !CERT_LIST_END(n, certs); n = CERT_LIST_NEXT(n)) {
        fuzz::Feature(2, static_cast<uint32_t>(nss::AltNameStrings(n->cert).size()));
        count++;
      }
      fuzz::Feature(3, count);
      CERT_DestroyCertList(certs);
    }
    EmptyDatabase();
    static const bool verbose = getenv("FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      fprintf(stderr, "password '%s': %s (error %d)\n", password, outcome.ok() ? "imported" : outcome.step.c_str(),
              outcome.error);
    }
    // Only a MAC that fails is worth a second password.
    if (outcome.ok() || outcome.step.rfind("verifying", 0) != 0) break;
  }
#else
  SECItem der = {siBuffer, const_cast<unsigned char*>(data), static_cast<unsigned int>(size)};
  PORT_SetError(0);
  CERTCertificate* cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, nullptr, PR_FALSE, PR_TRUE);
  // How far NSS's decoder got (see common.h's Feature).
  fuzz::Feature(1, static_cast<uint32_t>(PR_GetError()));
  if (cert == nullptr) return 0;
  // Certificate::Info.
  char* cn = CERT_GetCommonName(&cert->subject);
  if (cn) PORT_Free(cn);
  if (cert->version.len != 0) DER_GetInteger(&cert->version);
  PRTime notBefore = 0, notAfter = 0;
  CERT_GetCertTimes(cert, &notBefore, &notAfter);
  for (const std::string& name : nss::AltNameStrings(cert)) fuzz::Feature(2, name.empty() ? 0 : name[0]);
  std::vector<std::string> oids;
  fuzz::Feature(3, nss::ExtKeyUsageOids(cert, &oids) << 8 | static_cast<uint32_t>(oids.size()));
  fuzz::Feature(4, CERT_IsCACert(cert, nullptr));
  SECKEYPublicKey* key = CERT_ExtractPublicKey(cert);
  if (key) {
    fuzz::Feature(5, SECKEY_GetPublicKeyType(key) << 16 | SECKEY_PublicKeyStrengthInBits(key));
    SECKEY_DestroyPublicKey(key);
  }
  // ExtensionList (extensions()) and verifyHostname.
  for (CERTCertExtension** ext = cert->extensions; ext != nullptr && *ext != nullptr; ext++) {
    fuzz::Feature(6, static_cast<uint32_t>(SECOID_FindOIDTag(&(*ext)->id)));
    nss::OidToString(&(*ext)->id);
  }
  fuzz::Feature(7, CERT_VerifyCertName(cert, "localhost") == SECSuccess);
  CERT_CheckCertValidTimes(cert, PR_Now(), PR_FALSE);
  CERT_DestroyCertificate(cert);
#endif
  return 0;
}
