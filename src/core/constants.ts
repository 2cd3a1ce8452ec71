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

/**
 * TLS key-exchange groups (`SSLNamedGroup` in `sslt.h`: the IANA code points), for
 * {@link SSLSocket.setNamedGroups}.
 */
export const ssl_grp_ec_secp256r1 = value('ssl_grp_ec_secp256r1');
export const ssl_grp_ec_secp384r1 = value('ssl_grp_ec_secp384r1');
export const ssl_grp_ec_secp521r1 = value('ssl_grp_ec_secp521r1');
export const ssl_grp_ec_curve25519 = value('ssl_grp_ec_curve25519');
export const ssl_grp_ffdhe_2048 = value('ssl_grp_ffdhe_2048');
export const ssl_grp_ffdhe_3072 = value('ssl_grp_ffdhe_3072');
export const ssl_grp_ffdhe_4096 = value('ssl_grp_ffdhe_4096');
export const ssl_grp_ffdhe_6144 = value('ssl_grp_ffdhe_6144');
export const ssl_grp_ffdhe_8192 = value('ssl_grp_ffdhe_8192');

/**
 * TLS signature schemes (`SSLSignatureScheme` in `sslt.h`: the IANA code points), for
 * {@link SSLSocket.setSignatureSchemes}.
 */
export const ssl_sig_rsa_pkcs1_sha1 = value('ssl_sig_rsa_pkcs1_sha1');
export const ssl_sig_rsa_pkcs1_sha256 = value('ssl_sig_rsa_pkcs1_sha256');
export const ssl_sig_rsa_pkcs1_sha384 = value('ssl_sig_rsa_pkcs1_sha384');
export const ssl_sig_rsa_pkcs1_sha512 = value('ssl_sig_rsa_pkcs1_sha512');
export const ssl_sig_ecdsa_secp256r1_sha256 = value('ssl_sig_ecdsa_secp256r1_sha256');
export const ssl_sig_ecdsa_secp384r1_sha384 = value('ssl_sig_ecdsa_secp384r1_sha384');
export const ssl_sig_ecdsa_secp521r1_sha512 = value('ssl_sig_ecdsa_secp521r1_sha512');
export const ssl_sig_rsa_pss_rsae_sha256 = value('ssl_sig_rsa_pss_rsae_sha256');
export const ssl_sig_rsa_pss_rsae_sha384 = value('ssl_sig_rsa_pss_rsae_sha384');
export const ssl_sig_rsa_pss_rsae_sha512 = value('ssl_sig_rsa_pss_rsae_sha512');
export const ssl_sig_ed25519 = value('ssl_sig_ed25519');
export const ssl_sig_ed448 = value('ssl_sig_ed448');
export const ssl_sig_rsa_pss_pss_sha256 = value('ssl_sig_rsa_pss_pss_sha256');
export const ssl_sig_rsa_pss_pss_sha384 = value('ssl_sig_rsa_pss_pss_sha384');
export const ssl_sig_rsa_pss_pss_sha512 = value('ssl_sig_rsa_pss_pss_sha512');
export const ssl_sig_dsa_sha1 = value('ssl_sig_dsa_sha1');
export const ssl_sig_dsa_sha256 = value('ssl_sig_dsa_sha256');
export const ssl_sig_dsa_sha384 = value('ssl_sig_dsa_sha384');
export const ssl_sig_dsa_sha512 = value('ssl_sig_dsa_sha512');
export const ssl_sig_ecdsa_sha1 = value('ssl_sig_ecdsa_sha1');

/** @internal Error numbers the TypeScript layer itself reports. */
export const errnos = {
  SEC_ERROR_EXPIRED_CERTIFICATE: value('SEC_ERROR_EXPIRED_CERTIFICATE'),
  SEC_ERROR_CERT_NOT_VALID: value('SEC_ERROR_CERT_NOT_VALID'),
  SEC_ERROR_INVALID_TIME: value('SEC_ERROR_INVALID_TIME'),
  SEC_ERROR_CA_CERT_INVALID: value('SEC_ERROR_CA_CERT_INVALID'),
  SEC_ERROR_INVALID_ARGS: value('SEC_ERROR_INVALID_ARGS'),
  SEC_ERROR_READ_ONLY: value('SEC_ERROR_READ_ONLY'),
  SEC_ERROR_MODULE_STUCK: value('SEC_ERROR_MODULE_STUCK'),
  SEC_ERROR_INVALID_PASSWORD: value('SEC_ERROR_INVALID_PASSWORD'),
  SEC_ERROR_NOT_INITIALIZED: value('SEC_ERROR_NOT_INITIALIZED'),
} as const;
