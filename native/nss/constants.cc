#include "constants.h"

#include <cert.h>
#include <certdb.h>
#include <secerr.h>
#include <secmodt.h>

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
#undef SET
  exports.Set("constants", constants);
}

}  // namespace nss
