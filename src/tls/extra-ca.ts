// NODE_EXTRA_CA_CERTS, as node reads it for node:tls: a PEM file of CAs trusted beside the default roots (here
// the database's trust) by every connection and server made with node's options (connect, createServer, Agent,
// undiciConnector, node-nss/tls) that is given no `ca` of its own; a `ca` replaces both, as in node:tls. The
// variable is read when this module loads, as node reads it at startup, and the file on first use. A file
// that cannot be read or holds no certificate leaves the default trust as it was: node itself warns of it
// at startup ("Ignoring extra certs from …"), so no second warning comes from here.
import * as fs from 'node:fs';
import { Certificate, certificateListBytes } from '../pki/certificate.js';
import { afterNSSShutdown } from '../core/shutdown-hooks.js';
import { TrustAnchors } from './trust-anchors.js';

const file = process.env.NODE_EXTRA_CA_CERTS || undefined;
let ders: Buffer[] | undefined;
let anchors: TrustAnchors | undefined;

/**
 * @internal The anchors NODE_EXTRA_CA_CERTS adds to the database's trust, or undefined when it names no file
 * (or one that failed). NSS must be initialised; the certificates are made again after a shutdown.
 */
export function extraTrustAnchors(): TrustAnchors | undefined {
  if (file === undefined) return undefined;
  ders ??= readCertificates(file);
  if (ders.length === 0) return undefined;
  if (anchors === undefined) {
    const certs: Certificate[] = [];
    for (const der of ders) {
      try {
        certs.push(Certificate.fromDER(der));
      } catch (err) {
        // One OpenSSL reads but NSS refuses: node trusts it, so this is said rather than left out silently.
        process.emitWarning(
          `NSS refuses a certificate of NODE_EXTRA_CA_CERTS (\`${file}\`), which is not trusted: ${(err as Error).message}`,
          { code: 'NODE_NSS_EXTRA_CA_CERT' },
        );
      }
    }
    if (certs.length === 0) ders = [];
    else anchors = new TrustAnchors(certs, true);
  }
  return anchors;
}

/** The DER of the file's PEM certificates; none when it cannot be read or holds none (node warned of both). */
function readCertificates(path: string): Buffer[] {
  try {
    return certificateListBytes(fs.readFileSync(path, 'latin1'), 'NODE_EXTRA_CA_CERTS');
  } catch {
    return [];
  }
}

// The certificates die with NSS; the file's bytes are kept, as node keeps what it read.
afterNSSShutdown(() => {
  anchors = undefined;
});
