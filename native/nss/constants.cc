#include "constants.h"

#include <cert.h>
#include <certdb.h>
#include <nss.h>
#include <secerr.h>
#include <sslerr.h>
#include <secmodt.h>
#include <sslt.h>

namespace nss {

// NSS constants with the values of the installed headers.
void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object constants = Napi::Object::New(env);
#define SET(name) constants.Set(#name, Napi::Number::New(env, static_cast<double>(name)))
  SET(certificateUsageCheckAllUsages);
  SET(certificateUsageSSLClient);
  SET(certificateUsageSSLServer);
  SET(certificateUsageSSLServerWithStepUp);
  SET(certificateUsageSSLCA);
  SET(certificateUsageEmailSigner);
  SET(certificateUsageEmailRecipient);
  SET(certificateUsageObjectSigner);
  SET(certificateUsageUserCertImport);
  SET(certificateUsageVerifyCA);
  SET(certificateUsageProtectedObjectSigner);
  SET(certificateUsageStatusResponder);
  SET(certificateUsageAnyCA);
  SET(certificateUsageIPsec);
  SET(certUsageSSLClient);
  SET(certUsageSSLServer);
  SET(certUsageSSLServerWithStepUp);
  SET(certUsageSSLCA);
  SET(certUsageEmailSigner);
  SET(certUsageEmailRecipient);
  SET(certUsageObjectSigner);
  SET(certUsageUserCertImport);
  SET(certUsageVerifyCA);
  SET(certUsageProtectedObjectSigner);
  SET(certUsageStatusResponder);
  SET(certUsageAnyCA);
  SET(certUsageIPsec);
  SET(PK11CertListUnique);
  SET(PK11CertListUser);
  SET(PK11CertListCA);
  SET(PK11CertListCAUnique);
  SET(PK11CertListUserUnique);
  SET(PK11CertListAll);
  SET(SEC_CERT_NICKNAMES_ALL);
  SET(SEC_CERT_NICKNAMES_USER);
  SET(SEC_CERT_NICKNAMES_SERVER);
  SET(SEC_CERT_NICKNAMES_CA);
  SET(CERTDB_TERMINAL_RECORD);
  SET(CERTDB_TRUSTED);
  SET(CERTDB_SEND_WARN);
  SET(CERTDB_VALID_CA);
  SET(CERTDB_TRUSTED_CA);
  SET(CERTDB_NS_TRUSTED_CA);
  SET(CERTDB_USER);
  SET(CERTDB_TRUSTED_CLIENT_CA);
  SET(CERTDB_INVISIBLE_CA);
  SET(CERTDB_GOVT_APPROVED_CA);
  SET(KU_DIGITAL_SIGNATURE);
  SET(KU_NON_REPUDIATION);
  SET(KU_KEY_ENCIPHERMENT);
  SET(KU_DATA_ENCIPHERMENT);
  SET(KU_KEY_AGREEMENT);
  SET(KU_KEY_CERT_SIGN);
  SET(KU_CRL_SIGN);
  SET(KU_ENCIPHER_ONLY);
  SET(secCertTimeValid);
  SET(secCertTimeExpired);
  SET(secCertTimeNotValidYet);
  SET(secCertTimeUndetermined);
  SET(SEC_ERROR_EXPIRED_CERTIFICATE);
  SET(SEC_ERROR_CERT_NOT_VALID);
  SET(SEC_ERROR_INVALID_TIME);
  SET(SEC_ERROR_CA_CERT_INVALID);
  SET(SEC_ERROR_INADEQUATE_KEY_USAGE);
  SET(SEC_ERROR_INADEQUATE_CERT_TYPE);
  SET(SSL_ERROR_RENEGOTIATION_NOT_ALLOWED);
  SET(SEC_ERROR_INVALID_ARGS);
  SET(SEC_ERROR_READ_ONLY);
  SET(SEC_ERROR_MODULE_STUCK);
  SET(SEC_ERROR_INVALID_PASSWORD);
  SET(SEC_ERROR_NOT_INITIALIZED);
  SET(SEC_ERROR_PKCS12_DECODING_PFX);
  SET(SEC_ERROR_PKCS12_UNSUPPORTED_TRANSPORT_MODE);
  SET(SEC_ERROR_PKCS12_UNABLE_TO_IMPORT_KEY);
  // NSS_OptionSet options (process-wide minimum key sizes)
  SET(NSS_RSA_MIN_KEY_SIZE);
  SET(NSS_DH_MIN_KEY_SIZE);
  SET(NSS_DSA_MIN_KEY_SIZE);
  // TLS named groups and signature schemes (sslt.h enums: the IANA code points)
  SET(ssl_grp_ec_secp256r1);
  SET(ssl_grp_ec_secp384r1);
  SET(ssl_grp_ec_secp521r1);
  SET(ssl_grp_ec_curve25519);
  SET(ssl_grp_ffdhe_2048);
  SET(ssl_grp_ffdhe_3072);
  SET(ssl_grp_ffdhe_4096);
  SET(ssl_grp_ffdhe_6144);
  SET(ssl_grp_ffdhe_8192);
  SET(ssl_sig_rsa_pkcs1_sha1);
  SET(ssl_sig_rsa_pkcs1_sha256);
  SET(ssl_sig_rsa_pkcs1_sha384);
  SET(ssl_sig_rsa_pkcs1_sha512);
  SET(ssl_sig_ecdsa_secp256r1_sha256);
  SET(ssl_sig_ecdsa_secp384r1_sha384);
  SET(ssl_sig_ecdsa_secp521r1_sha512);
  SET(ssl_sig_rsa_pss_rsae_sha256);
  SET(ssl_sig_rsa_pss_rsae_sha384);
  SET(ssl_sig_rsa_pss_rsae_sha512);
  SET(ssl_sig_ed25519);
  SET(ssl_sig_ed448);
  SET(ssl_sig_rsa_pss_pss_sha256);
  SET(ssl_sig_rsa_pss_pss_sha384);
  SET(ssl_sig_rsa_pss_pss_sha512);
  SET(ssl_sig_dsa_sha1);
  SET(ssl_sig_dsa_sha256);
  SET(ssl_sig_dsa_sha384);
  SET(ssl_sig_dsa_sha512);
  SET(ssl_sig_ecdsa_sha1);
#undef SET
  exports.Set("constants", constants);
}

}  // namespace nss
