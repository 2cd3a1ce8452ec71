// NSS constants, with the values of the NSS headers the native module was built against.
import { binding } from './binding.js';

const c = binding.constants;
function value(name: string): number {
  const v = c[name];
  if (v === undefined) throw new Error(`node-nss: native constant ${name} is missing`);
  return v;
}

/** `certificateUsage*`: bit flags for {@link Certificate.verifyNow} (NSS `certt.h`). */
export const certificateUsageCheckAllUsages = value('certificateUsageCheckAllUsages');
export const certificateUsageSSLClient = value('certificateUsageSSLClient');
export const certificateUsageSSLServer = value('certificateUsageSSLServer');
export const certificateUsageSSLServerWithStepUp = value('certificateUsageSSLServerWithStepUp');
export const certificateUsageSSLCA = value('certificateUsageSSLCA');
export const certificateUsageEmailSigner = value('certificateUsageEmailSigner');
export const certificateUsageEmailRecipient = value('certificateUsageEmailRecipient');
export const certificateUsageObjectSigner = value('certificateUsageObjectSigner');
export const certificateUsageUserCertImport = value('certificateUsageUserCertImport');
export const certificateUsageVerifyCA = value('certificateUsageVerifyCA');
export const certificateUsageProtectedObjectSigner = value('certificateUsageProtectedObjectSigner');
export const certificateUsageStatusResponder = value('certificateUsageStatusResponder');
export const certificateUsageAnyCA = value('certificateUsageAnyCA');
export const certificateUsageIPsec = value('certificateUsageIPsec');

/** `certUsage*`: the single-usage enum NSS uses for chain building (`SECCertUsage`). */
export const certUsageSSLClient = value('certUsageSSLClient');
export const certUsageSSLServer = value('certUsageSSLServer');
export const certUsageSSLServerWithStepUp = value('certUsageSSLServerWithStepUp');
export const certUsageSSLCA = value('certUsageSSLCA');
export const certUsageEmailSigner = value('certUsageEmailSigner');
export const certUsageEmailRecipient = value('certUsageEmailRecipient');
export const certUsageObjectSigner = value('certUsageObjectSigner');
export const certUsageUserCertImport = value('certUsageUserCertImport');
export const certUsageVerifyCA = value('certUsageVerifyCA');
export const certUsageProtectedObjectSigner = value('certUsageProtectedObjectSigner');
export const certUsageStatusResponder = value('certUsageStatusResponder');
export const certUsageAnyCA = value('certUsageAnyCA');
export const certUsageIPsec = value('certUsageIPsec');

/** Which certificates `PK11_ListCerts` returns (python-nss `list_certs` types). */
export const PK11CertListUnique = value('PK11CertListUnique');
export const PK11CertListUser = value('PK11CertListUser');
export const PK11CertListCA = value('PK11CertListCA');
export const PK11CertListCAUnique = value('PK11CertListCAUnique');
export const PK11CertListUserUnique = value('PK11CertListUserUnique');
export const PK11CertListAll = value('PK11CertListAll');

/** Which nicknames {@link CertDB.getCertNicknames} lists. */
export const SEC_CERT_NICKNAMES_ALL = value('SEC_CERT_NICKNAMES_ALL');
export const SEC_CERT_NICKNAMES_USER = value('SEC_CERT_NICKNAMES_USER');
export const SEC_CERT_NICKNAMES_SERVER = value('SEC_CERT_NICKNAMES_SERVER');
export const SEC_CERT_NICKNAMES_CA = value('SEC_CERT_NICKNAMES_CA');

/** Trust bits (`certdb.h`); {@link CertDB.getTrust} gives them in certutil's letters. */
export const CERTDB_TERMINAL_RECORD = value('CERTDB_TERMINAL_RECORD');
export const CERTDB_TRUSTED = value('CERTDB_TRUSTED');
export const CERTDB_SEND_WARN = value('CERTDB_SEND_WARN');
export const CERTDB_VALID_CA = value('CERTDB_VALID_CA');
export const CERTDB_TRUSTED_CA = value('CERTDB_TRUSTED_CA');
export const CERTDB_NS_TRUSTED_CA = value('CERTDB_NS_TRUSTED_CA');
export const CERTDB_USER = value('CERTDB_USER');
export const CERTDB_TRUSTED_CLIENT_CA = value('CERTDB_TRUSTED_CLIENT_CA');
export const CERTDB_INVISIBLE_CA = value('CERTDB_INVISIBLE_CA');
export const CERTDB_GOVT_APPROVED_CA = value('CERTDB_GOVT_APPROVED_CA');

/** Key usage bits as in {@link Certificate.keyUsage}. */
export const KU_DIGITAL_SIGNATURE = value('KU_DIGITAL_SIGNATURE');
export const KU_NON_REPUDIATION = value('KU_NON_REPUDIATION');
export const KU_KEY_ENCIPHERMENT = value('KU_KEY_ENCIPHERMENT');
export const KU_DATA_ENCIPHERMENT = value('KU_DATA_ENCIPHERMENT');
export const KU_KEY_AGREEMENT = value('KU_KEY_AGREEMENT');
export const KU_KEY_CERT_SIGN = value('KU_KEY_CERT_SIGN');
export const KU_CRL_SIGN = value('KU_CRL_SIGN');
export const KU_ENCIPHER_ONLY = value('KU_ENCIPHER_ONLY');

/** Results of `CERT_CheckCertValidTimes`. */
export const secCertTimeValid = value('secCertTimeValid');
export const secCertTimeExpired = value('secCertTimeExpired');
export const secCertTimeNotValidYet = value('secCertTimeNotValidYet');
export const secCertTimeUndetermined = value('secCertTimeUndetermined');

/** @internal Error numbers the TypeScript layer itself reports. */
export const errnos = {
  SEC_ERROR_EXPIRED_CERTIFICATE: value('SEC_ERROR_EXPIRED_CERTIFICATE'),
  SEC_ERROR_CERT_NOT_VALID: value('SEC_ERROR_CERT_NOT_VALID'),
  SEC_ERROR_INVALID_TIME: value('SEC_ERROR_INVALID_TIME'),
  SEC_ERROR_CA_CERT_INVALID: value('SEC_ERROR_CA_CERT_INVALID'),
} as const;
