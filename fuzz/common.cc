#include "common.h"

#include <nss.h>
#include <cryptohi.h>
#include <pk11pub.h>
#include <secder.h>
#include <secerr.h>
#include <sslproto.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

namespace fuzz {

namespace {

[[noreturn]] void Die(const char* what) {
  fprintf(stderr, "fuzz setup: %s failed: NSS error %d\n", what, PR_GetError());
  abort();
}

}  // namespace

void InitNSS() {
  static bool done = false;
  if (done) return;
  done = true;
  PRUint32 flags = NSS_INIT_PK11RELOAD | NSS_INIT_NOPK11FINALIZE | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
                   NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT;
  if (NSS_InitContext("", "", "", "", nullptr, flags) == nullptr) Die("NSS_InitContext");
  NSS_SetDomesticPolicy();
}

Identity MakeIdentity(bool rsa) {
  PK11SlotInfo* slot = PK11_GetInternalSlot();
  SECKEYPublicKey* pub = nullptr;
  SECKEYPrivateKey* priv = nullptr;
  if (rsa) {
    PK11RSAGenParams params = {2048, 65537};
    priv = PK11_GenerateKeyPair(slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &params, &pub, PR_FALSE, PR_FALSE, nullptr);
  } else {
    SECOidData* curve = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PRIME256V1);
    std::vector<unsigned char> oid(curve->oid.len + 2);
    oid[0] = SEC_ASN1_OBJECT_ID;
    oid[1] = static_cast<unsigned char>(curve->oid.len);
    std::copy(curve->oid.data, curve->oid.data + curve->oid.len, oid.begin() + 2);
    SECItem params = {siBuffer, oid.data(), static_cast<unsigned int>(oid.size())};
    priv = PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &params, &pub, PR_FALSE, PR_FALSE, nullptr);
  }
  PK11_FreeSlot(slot);
  if (priv == nullptr) Die("PK11_GenerateKeyPair");

  CERTName* name = CERT_AsciiToName("CN=localhost");
  CERTSubjectPublicKeyInfo* spki = SECKEY_CreateSubjectPublicKeyInfo(pub);
  CERTCertificateRequest* req = CERT_CreateCertificateRequest(name, spki, nullptr);
  PRTime now = PR_Now();
  CERTValidity* validity = CERT_CreateValidity(now - 86400LL * PR_USEC_PER_SEC, now + 3650LL * 86400 * PR_USEC_PER_SEC);
  CERTCertificate* tbs = CERT_CreateCertificate(static_cast<unsigned long>(now & 0x7fffffff), name, validity, req);
  if (tbs == nullptr) Die("CERT_CreateCertificate");
  // v3 with subjectAltName DNS:localhost, as the addon's issuance writes it.
  *(tbs->version.data) = SEC_CERTIFICATE_VERSION_3;
  tbs->version.len = 1;
  void* handle = CERT_StartCertExtensions(tbs);
  CERTGeneralName san = {};
  san.type = certDNSName;
  san.name.other.data = reinterpret_cast<unsigned char*>(const_cast<char*>("localhost"));
  san.name.other.len = 9;
  san.l.next = san.l.prev = &san.l;
  SECItem encoded = {siBuffer, nullptr, 0};
  if (CERT_EncodeAltNameExtension(tbs->arena, &san, &encoded) != SECSuccess ||
      CERT_AddExtension(handle, SEC_OID_X509_SUBJECT_ALT_NAME, &encoded, PR_FALSE, PR_TRUE) != SECSuccess ||
      CERT_FinishExtensions(handle) != SECSuccess) {
    Die("adding subjectAltName");
  }
  SECOidTag alg = SEC_GetSignatureAlgorithmOidTag(priv->keyType, SEC_OID_SHA256);
  if (SECOID_SetAlgorithmID(tbs->arena, &tbs->signature, alg, nullptr) != SECSuccess) Die("SECOID_SetAlgorithmID");
  SECItem unsignedDer = {siBuffer, nullptr, 0};
  if (SEC_ASN1EncodeItem(tbs->arena, &unsignedDer, tbs, SEC_ASN1_GET(CERT_CertificateTemplate)) == nullptr) {
    Die("encoding the certificate");
  }
  SECItem signedDer = {siBuffer, nullptr, 0};
  if (SEC_DerSignData(tbs->arena, &signedDer, unsignedDer.data, unsignedDer.len, priv, alg) != SECSuccess) {
    Die("SEC_DerSignData");
  }
  Identity id;
  id.cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &signedDer, nullptr, PR_FALSE, PR_TRUE);
  if (id.cert == nullptr) Die("CERT_NewTempCertificate");
  id.key = priv;
  CERT_DestroyCertificate(tbs);
  CERT_DestroyValidity(validity);
  CERT_DestroyCertificateRequest(req);
  SECKEY_DestroySubjectPublicKeyInfo(spki);
  CERT_DestroyName(name);
  SECKEY_DestroyPublicKey(pub);
  return id;
}

void ApplyDefaultProfile(PRFileDesc* fd, bool server) {
  SSLVersionRange range = {SSL_LIBRARY_VERSION_TLS_1_2, SSL_LIBRARY_VERSION_TLS_1_3};
  if (SSL_VersionRangeSet(fd, &range) != SECSuccess) Die("SSL_VersionRangeSet");
  static const std::set<PRUint16> kProfile = {
      TLS_AES_128_GCM_SHA256,
      TLS_CHACHA20_POLY1305_SHA256,
      TLS_AES_256_GCM_SHA384,
      TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
      TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
      TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
      TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
      TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
      TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
      TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
      TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  };
  for (PRUint16 i = 0; i < SSL_NumImplementedCiphers; i++) {
    PRUint16 suite = SSL_ImplementedCiphers[i];
    SSL_CipherPrefSet(fd, suite, kProfile.count(suite) ? PR_TRUE : PR_FALSE);
  }
  static const SSLSignatureScheme kSchemes[] = {
      ssl_sig_ecdsa_secp256r1_sha256, ssl_sig_ecdsa_secp384r1_sha384, ssl_sig_ecdsa_secp521r1_sha512,
      ssl_sig_rsa_pss_rsae_sha256,    ssl_sig_rsa_pss_rsae_sha384,    ssl_sig_rsa_pss_rsae_sha512,
      ssl_sig_rsa_pkcs1_sha256,       ssl_sig_rsa_pkcs1_sha384,       ssl_sig_rsa_pkcs1_sha512,
  };
  if (SSL_SignatureSchemePrefSet(fd, kSchemes, sizeof kSchemes / sizeof kSchemes[0]) != SECSuccess) {
    Die("SSL_SignatureSchemePrefSet");
  }
  if (!server) SSL_OptionSet(fd, SSL_REQUIRE_DH_NAMED_GROUPS, PR_TRUE);
}

namespace {

// libFuzzer treats this section as extra coverage counters (it reads __start_/__stop___libfuzzer_extra_counters).
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t gExtraCounters[1 << 14];

}  // namespace

void Feature(uint32_t kind, uint32_t value) {
  uint32_t h = (kind * 0x9E3779B1u) ^ (value * 0x85EBCA77u);
  h ^= h >> 15;
  uint8_t& counter = gExtraCounters[h % sizeof gExtraCounters];
  if (counter < 255) counter++;
}

uint32_t SizeClass(size_t n) {
  uint32_t c = 0;
  while (n > 0) {
    c++;
    n >>= 1;
  }
  return c;
}

bool Framing::Next(const uint8_t** chunk, size_t* length) {
  if (pos >= size) return false;
  if (size - pos < 2) {
    *chunk = data + pos;
    *length = size - pos;
    pos = size;
    return true;
  }
  size_t want = static_cast<size_t>(data[pos]) << 8 | data[pos + 1];
  pos += 2;
  size_t have = size - pos;
  *length = want < have ? want : have;
  *chunk = data + pos;
  pos += *length;
  return true;
}

}  // namespace fuzz
