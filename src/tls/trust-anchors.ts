// The CAs one socket or server trusts instead of the database's (node:tls's `ca`). They are temporary
// certificates with no trust of their own: NSS trusts them only in that socket's verifications
// (CERT_PKIXVerifyCert's cert_pi_trustAnchors), so another socket, or a CertDB.verify, is not affected.
//
// A self-signed certificate among them is also a pinned peer: a peer that sends exactly that certificate is
// trusted, as node:tls and OpenSSL trust a self-signed certificate found in the trust store (the usual
// development setup, `ca: cert`). NSS does not: measured with NSS 3.87, CERT_PKIXVerifyCert fails such a peer
// with SEC_ERROR_UNKNOWN_ISSUER (v3, CA:FALSE) or SEC_ERROR_UNTRUSTED_ISSUER (v1), an anchor having to be a
// CA. So that case is decided here, with OpenSSL's checks of a trusted self-signed leaf: its validity period
// and, where present, extended key usage and key usage fit for the usage.
import { createHash } from 'node:crypto';
import type { NativeCertificate } from '../../types/binding.js';
import { Certificate } from '../pki/certificate.js';
import { checkInstance, argTypeError, argValueError } from '../core/validate.js';
import { KU_DIGITAL_SIGNATURE, KU_KEY_AGREEMENT, KU_KEY_ENCIPHERMENT, errnos } from '../core/constants.js';

const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function sha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** How the certificates of `setTrustAnchors` combine with the database's trust. */
export interface TrustAnchorOptions {
  /** Trust the anchors beside the database's roots instead of alone (default `false`). */
  keepDatabaseTrust?: boolean;
}

/** @internal A socket's trust anchors and the digest of their DER, which keys sessions and verifications. */
export class TrustAnchors {
  readonly certificates: readonly Certificate[];
  readonly id: string;

  /** `keepDatabaseTrust`: the anchors are trusted beside the database's roots, not instead of them. */
  constructor(
    certificates: readonly Certificate[],
    readonly keepDatabaseTrust = false,
  ) {
    if (!Array.isArray(certificates))
      throw argTypeError('The "certs" argument must be an array of Certificate');
    certificates.forEach((cert, i) => checkInstance(cert, Certificate, `certs[${i}]`));
    if (certificates.length === 0) throw argValueError('The "certs" argument names no certificate');
    this.certificates = [...certificates];
    // Sorted: the same CAs given in another order trust the same peers.
    const ders = this.certificates.map((cert) => sha256(cert.derData));
    this.id = (keepDatabaseTrust ? 'database+' : '') + [...new Set(ders)].sort().join(',');
    this.certificates.forEach((cert, i) => {
      if (cert.subject === cert.issuer) this.#pinned.set(ders[i] as string, cert);
    });
  }

  /** The self-signed certificates among the anchors, by the SHA-256 of their DER. */
  readonly #pinned = new Map<string, Certificate>();

  /**
   * Whether a peer whose certificate is `leafDER` is a pinned peer: `undefined` when that certificate is not a
   * self-signed certificate of these anchors; otherwise 0 when it is fit for the usage now (a
   * client's certificate when `isServer`, this end being the server), or the NSS error saying why not.
   */
  pinnedPeerError(leafDER: Buffer | undefined, isServer: boolean): number | undefined {
    if (leafDER === undefined || this.#pinned.size === 0) return undefined;
    const cert = this.#pinned.get(sha256(leafDER));
    if (cert === undefined) return undefined;
    const time = cert.checkValidTimes();
    if (time !== 0) return time;
    const eku = cert.extKeyUsage;
    if (eku !== null && !eku.includes(isServer ? EKU_CLIENT_AUTH : EKU_SERVER_AUTH))
      return errnos.SEC_ERROR_INADEQUATE_CERT_TYPE;
    const ku = cert.keyUsage;
    const fit = isServer
      ? KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT
      : KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT;
    if (ku !== null && (ku & fit) === 0) return errnos.SEC_ERROR_INADEQUATE_KEY_USAGE;
    return 0;
  }

  /** The native certificates (live: a shutdown since makes this throw NSS_SHUT_DOWN). */
  natives(): NativeCertificate[] {
    return this.certificates.map((cert) => cert.native);
  }
}
