// NSS constants, with the values of the NSS headers the native module was built against.
import { binding } from './binding.js';

const c = binding.constants;
function value(name: string): number {
  const v = c[name];
  if (v === undefined) throw new Error(`node-nss: native constant ${name} is missing`);
  return v;
}

/**
 * `certificateUsage*`: bit flags for {@link Certificate.verifyNow} (NSS `certt.h`).
 * @category Certificate usages
 */
export const certificateUsageCheckAllUsages = value('certificateUsageCheckAllUsages');
/** @category Certificate usages */
export const certificateUsageSSLClient = value('certificateUsageSSLClient');
/** @category Certificate usages */
export const certificateUsageSSLServer = value('certificateUsageSSLServer');
/** @category Certificate usages */
export const certificateUsageSSLServerWithStepUp = value('certificateUsageSSLServerWithStepUp');
/** @category Certificate usages */
export const certificateUsageSSLCA = value('certificateUsageSSLCA');
/** @category Certificate usages */
export const certificateUsageEmailSigner = value('certificateUsageEmailSigner');
/** @category Certificate usages */
export const certificateUsageEmailRecipient = value('certificateUsageEmailRecipient');
/** @category Certificate usages */
export const certificateUsageObjectSigner = value('certificateUsageObjectSigner');
/** @category Certificate usages */
export const certificateUsageUserCertImport = value('certificateUsageUserCertImport');
/** @category Certificate usages */
export const certificateUsageVerifyCA = value('certificateUsageVerifyCA');
/** @category Certificate usages */
export const certificateUsageProtectedObjectSigner = value('certificateUsageProtectedObjectSigner');
/** @category Certificate usages */
export const certificateUsageStatusResponder = value('certificateUsageStatusResponder');
/** @category Certificate usages */
export const certificateUsageAnyCA = value('certificateUsageAnyCA');
/** @category Certificate usages */
export const certificateUsageIPsec = value('certificateUsageIPsec');

/**
 * `certUsage*`: the single-usage enum NSS uses for chain building (`SECCertUsage`).
 * @category Certificate usages
 */
export const certUsageSSLClient = value('certUsageSSLClient');
/** @category Certificate usages */
export const certUsageSSLServer = value('certUsageSSLServer');
/** @category Certificate usages */
export const certUsageSSLServerWithStepUp = value('certUsageSSLServerWithStepUp');
/** @category Certificate usages */
export const certUsageSSLCA = value('certUsageSSLCA');
/** @category Certificate usages */
export const certUsageEmailSigner = value('certUsageEmailSigner');
/** @category Certificate usages */
export const certUsageEmailRecipient = value('certUsageEmailRecipient');
/** @category Certificate usages */
export const certUsageObjectSigner = value('certUsageObjectSigner');
/** @category Certificate usages */
export const certUsageUserCertImport = value('certUsageUserCertImport');
/** @category Certificate usages */
export const certUsageVerifyCA = value('certUsageVerifyCA');
/** @category Certificate usages */
export const certUsageProtectedObjectSigner = value('certUsageProtectedObjectSigner');
/** @category Certificate usages */
export const certUsageStatusResponder = value('certUsageStatusResponder');
/** @category Certificate usages */
export const certUsageAnyCA = value('certUsageAnyCA');
/** @category Certificate usages */
export const certUsageIPsec = value('certUsageIPsec');

/**
 * Which certificates `PK11_ListCerts` returns (python-nss `list_certs` types).
 * @category Certificate lists
 */
export const PK11CertListUnique = value('PK11CertListUnique');
/** @category Certificate lists */
export const PK11CertListUser = value('PK11CertListUser');
/** @category Certificate lists */
export const PK11CertListCA = value('PK11CertListCA');
/** @category Certificate lists */
export const PK11CertListCAUnique = value('PK11CertListCAUnique');
/** @category Certificate lists */
export const PK11CertListUserUnique = value('PK11CertListUserUnique');
/** @category Certificate lists */
export const PK11CertListAll = value('PK11CertListAll');

/**
 * Which nicknames {@link CertDB.getCertNicknames} lists.
 * @category Certificate lists
 */
export const SEC_CERT_NICKNAMES_ALL = value('SEC_CERT_NICKNAMES_ALL');
/** @category Certificate lists */
export const SEC_CERT_NICKNAMES_USER = value('SEC_CERT_NICKNAMES_USER');
/** @category Certificate lists */
export const SEC_CERT_NICKNAMES_SERVER = value('SEC_CERT_NICKNAMES_SERVER');
/** @category Certificate lists */
export const SEC_CERT_NICKNAMES_CA = value('SEC_CERT_NICKNAMES_CA');

/**
 * Trust bits (`certdb.h`); {@link CertDB.getTrust} gives them in certutil's letters.
 * @category Trust flags
 */
export const CERTDB_TERMINAL_RECORD = value('CERTDB_TERMINAL_RECORD');
/** @category Trust flags */
export const CERTDB_TRUSTED = value('CERTDB_TRUSTED');
/** @category Trust flags */
export const CERTDB_SEND_WARN = value('CERTDB_SEND_WARN');
/** @category Trust flags */
export const CERTDB_VALID_CA = value('CERTDB_VALID_CA');
/** @category Trust flags */
export const CERTDB_TRUSTED_CA = value('CERTDB_TRUSTED_CA');
/** @category Trust flags */
export const CERTDB_NS_TRUSTED_CA = value('CERTDB_NS_TRUSTED_CA');
/** @category Trust flags */
export const CERTDB_USER = value('CERTDB_USER');
/** @category Trust flags */
export const CERTDB_TRUSTED_CLIENT_CA = value('CERTDB_TRUSTED_CLIENT_CA');
/** @category Trust flags */
export const CERTDB_INVISIBLE_CA = value('CERTDB_INVISIBLE_CA');
/** @category Trust flags */
export const CERTDB_GOVT_APPROVED_CA = value('CERTDB_GOVT_APPROVED_CA');

/**
 * Key usage bits as in {@link Certificate.keyUsage}.
 * @category Key usages
 */
export const KU_DIGITAL_SIGNATURE = value('KU_DIGITAL_SIGNATURE');
/** @category Key usages */
export const KU_NON_REPUDIATION = value('KU_NON_REPUDIATION');
/** @category Key usages */
export const KU_KEY_ENCIPHERMENT = value('KU_KEY_ENCIPHERMENT');
/** @category Key usages */
export const KU_DATA_ENCIPHERMENT = value('KU_DATA_ENCIPHERMENT');
/** @category Key usages */
export const KU_KEY_AGREEMENT = value('KU_KEY_AGREEMENT');
/** @category Key usages */
export const KU_KEY_CERT_SIGN = value('KU_KEY_CERT_SIGN');
/** @category Key usages */
export const KU_CRL_SIGN = value('KU_CRL_SIGN');
/** @category Key usages */
export const KU_ENCIPHER_ONLY = value('KU_ENCIPHER_ONLY');

/**
 * Results of `CERT_CheckCertValidTimes`.
 * @category Certificate validity
 */
export const secCertTimeValid = value('secCertTimeValid');
/** @category Certificate validity */
export const secCertTimeExpired = value('secCertTimeExpired');
/** @category Certificate validity */
export const secCertTimeNotValidYet = value('secCertTimeNotValidYet');
/** @category Certificate validity */
export const secCertTimeUndetermined = value('secCertTimeUndetermined');

/**
 * TLS key-exchange groups (`SSLNamedGroup` in `sslt.h`: the IANA code points), for
 * {@link SSLSocket.setNamedGroups}.
 * @category Key exchange groups
 */
export const ssl_grp_ec_secp256r1 = value('ssl_grp_ec_secp256r1');
/** @category Key exchange groups */
export const ssl_grp_ec_secp384r1 = value('ssl_grp_ec_secp384r1');
/** @category Key exchange groups */
export const ssl_grp_ec_secp521r1 = value('ssl_grp_ec_secp521r1');
/** @category Key exchange groups */
export const ssl_grp_ec_curve25519 = value('ssl_grp_ec_curve25519');
/** @category Key exchange groups */
export const ssl_grp_ffdhe_2048 = value('ssl_grp_ffdhe_2048');
/** @category Key exchange groups */
export const ssl_grp_ffdhe_3072 = value('ssl_grp_ffdhe_3072');
/** @category Key exchange groups */
export const ssl_grp_ffdhe_4096 = value('ssl_grp_ffdhe_4096');
/** @category Key exchange groups */
export const ssl_grp_ffdhe_6144 = value('ssl_grp_ffdhe_6144');
/** @category Key exchange groups */
export const ssl_grp_ffdhe_8192 = value('ssl_grp_ffdhe_8192');

/**
 * TLS signature schemes (`SSLSignatureScheme` in `sslt.h`: the IANA code points), for
 * {@link SSLSocket.setSignatureSchemes}.
 * @category Signature schemes
 */
export const ssl_sig_rsa_pkcs1_sha1 = value('ssl_sig_rsa_pkcs1_sha1');
/** @category Signature schemes */
export const ssl_sig_rsa_pkcs1_sha256 = value('ssl_sig_rsa_pkcs1_sha256');
/** @category Signature schemes */
export const ssl_sig_rsa_pkcs1_sha384 = value('ssl_sig_rsa_pkcs1_sha384');
/** @category Signature schemes */
export const ssl_sig_rsa_pkcs1_sha512 = value('ssl_sig_rsa_pkcs1_sha512');
/** @category Signature schemes */
export const ssl_sig_ecdsa_secp256r1_sha256 = value('ssl_sig_ecdsa_secp256r1_sha256');
/** @category Signature schemes */
export const ssl_sig_ecdsa_secp384r1_sha384 = value('ssl_sig_ecdsa_secp384r1_sha384');
/** @category Signature schemes */
export const ssl_sig_ecdsa_secp521r1_sha512 = value('ssl_sig_ecdsa_secp521r1_sha512');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_rsae_sha256 = value('ssl_sig_rsa_pss_rsae_sha256');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_rsae_sha384 = value('ssl_sig_rsa_pss_rsae_sha384');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_rsae_sha512 = value('ssl_sig_rsa_pss_rsae_sha512');
/** @category Signature schemes */
export const ssl_sig_ed25519 = value('ssl_sig_ed25519');
/** @category Signature schemes */
export const ssl_sig_ed448 = value('ssl_sig_ed448');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_pss_sha256 = value('ssl_sig_rsa_pss_pss_sha256');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_pss_sha384 = value('ssl_sig_rsa_pss_pss_sha384');
/** @category Signature schemes */
export const ssl_sig_rsa_pss_pss_sha512 = value('ssl_sig_rsa_pss_pss_sha512');
/** @category Signature schemes */
export const ssl_sig_dsa_sha1 = value('ssl_sig_dsa_sha1');
/** @category Signature schemes */
export const ssl_sig_dsa_sha256 = value('ssl_sig_dsa_sha256');
/** @category Signature schemes */
export const ssl_sig_dsa_sha384 = value('ssl_sig_dsa_sha384');
/** @category Signature schemes */
export const ssl_sig_dsa_sha512 = value('ssl_sig_dsa_sha512');
/** @category Signature schemes */
export const ssl_sig_ecdsa_sha1 = value('ssl_sig_ecdsa_sha1');

/** @internal Error numbers the TypeScript layer itself reports. */
export const errnos = {
  SEC_ERROR_EXPIRED_CERTIFICATE: value('SEC_ERROR_EXPIRED_CERTIFICATE'),
  SEC_ERROR_CERT_NOT_VALID: value('SEC_ERROR_CERT_NOT_VALID'),
  SEC_ERROR_INVALID_TIME: value('SEC_ERROR_INVALID_TIME'),
  SEC_ERROR_CA_CERT_INVALID: value('SEC_ERROR_CA_CERT_INVALID'),
  SEC_ERROR_INADEQUATE_KEY_USAGE: value('SEC_ERROR_INADEQUATE_KEY_USAGE'),
  SEC_ERROR_INADEQUATE_CERT_TYPE: value('SEC_ERROR_INADEQUATE_CERT_TYPE'),
  SSL_ERROR_RENEGOTIATION_NOT_ALLOWED: value('SSL_ERROR_RENEGOTIATION_NOT_ALLOWED'),
  SEC_ERROR_INVALID_ARGS: value('SEC_ERROR_INVALID_ARGS'),
  SEC_ERROR_READ_ONLY: value('SEC_ERROR_READ_ONLY'),
  SEC_ERROR_MODULE_STUCK: value('SEC_ERROR_MODULE_STUCK'),
  SEC_ERROR_INVALID_PASSWORD: value('SEC_ERROR_INVALID_PASSWORD'),
  SEC_ERROR_NOT_INITIALIZED: value('SEC_ERROR_NOT_INITIALIZED'),
  SEC_ERROR_PKCS12_DECODING_PFX: value('SEC_ERROR_PKCS12_DECODING_PFX'),
  SEC_ERROR_PKCS12_UNSUPPORTED_TRANSPORT_MODE: value('SEC_ERROR_PKCS12_UNSUPPORTED_TRANSPORT_MODE'),
  SEC_ERROR_PKCS12_UNABLE_TO_IMPORT_KEY: value('SEC_ERROR_PKCS12_UNABLE_TO_IMPORT_KEY'),
} as const;
