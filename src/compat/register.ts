/**
 * `node --import node-nss/register app.js` (or `require('node-nss/register')` first thing): the whole app's
 * HTTPS goes through NSS with the system NSS database's trust and smart cards, without code changes —
 * `https.globalAgent` (`https.get`, `https.request`, and libraries that take the default agent) and undici's
 * global dispatcher (Node's own `fetch`, and undici's). From the environment:
 *
 * - `NODE_NSS_DB`: the database directory (`sql:/path`); default the user's shared database
 *   (`~/.pki/nssdb`, Firefox's and Chrome's on Linux) if there is one, else the system's (`/etc/pki/nssdb`),
 *   else none (Mozilla's roots only);
 * - `NODE_NSS_DB_PASSWORD`: its password;
 * - `NODE_NSS_CLIENT_CERT`: a client certificate for servers that ask — a nickname (`token:nickname` for a
 *   smart card) or a `pkcs11:` URI;
 * - `NODE_NSS_TOKEN_PIN`: the PIN of the token that certificate is on (else a `pin-value` in the URI, else
 *   the database password);
 * - `NODE_NSS_FIPS=1`: require FIPS mode (see `init({ fips })`);
 * - `NODE_NSS_REVOCATION=soft|hard`: check servers' certificates for revocation with OCSP
 *   (`setDefaultRevocationMode`; default `off`: CRLs in the database only).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent as UndiciAgent, setGlobalDispatcher } from 'undici';
import { init, isInitialized, setPasswordCallback } from '../nss.js';
import { Agent, undiciConnector } from '../tls/connect.js';
import type { PK11Slot } from '../pki/slot.js';
import { setDefaultRevocationMode } from '../pki/revocation.js';
import { checkRevocationMode } from '../pki/revocation-mode.js';

/** The database register opens: `NODE_NSS_DB`, else the user's shared one, else the system's, else none. */
function databaseDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_NSS_DB) return env.NODE_NSS_DB;
  const candidates = [path.join(os.homedir(), '.pki', 'nssdb'), '/etc/pki/nssdb'];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'cert9.db')));
  return found === undefined ? undefined : `sql:${found}`;
}

/** A `pin-value` attribute of a PKCS #11 URI (RFC 7512), if the URI has one. */
function uriPin(uri: string | undefined): string | undefined {
  const match = uri?.startsWith('pkcs11:') ? /[?&;]pin-value=([^&;]*)/.exec(uri) : null;
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

function register(env: NodeJS.ProcessEnv): void {
  const password = env.NODE_NSS_DB_PASSWORD;
  const clientCert = env.NODE_NSS_CLIENT_CERT || undefined;
  const pin = env.NODE_NSS_TOKEN_PIN ?? uriPin(clientCert);
  if (!isInitialized()) {
    init({ dbDir: databaseDir(env), password, fips: env.NODE_NSS_FIPS === '1' ? true : undefined });
  }
  if (env.NODE_NSS_REVOCATION) {
    checkRevocationMode(env.NODE_NSS_REVOCATION, 'NODE_NSS_REVOCATION');
    setDefaultRevocationMode(env.NODE_NSS_REVOCATION);
  }
  // The database password for the database's own token, the PIN for any other; never the same answer
  // twice (a wrong PIN given again only locks a card).
  setPasswordCallback((slot: PK11Slot, retry: boolean) => {
    if (retry) return undefined;
    return slot.isInternal ? password : (pin ?? password);
  });
  const nss = clientCert === undefined ? {} : { clientCertNickname: clientCert };
  // The module object itself (a default import), which https.request reads its default agent from.
  Object.assign(https, { globalAgent: new Agent({ keepAlive: true, nss }) });
  setGlobalDispatcher(new UndiciAgent({ connect: undiciConnector(nss) }));
}

register(process.env);
