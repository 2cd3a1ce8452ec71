// NODE_DEBUG=nss: init, every handshake (both ends, with what was negotiated and the verdict) and every
// failure with NSS's code, on stderr as util.debuglog writes them; nothing without it.
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePemPKI, type PemPKI } from '../support/pem-pki.js';
import { nodeScript, removeTemps } from '../support/tools.js';

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
});
afterAll(() => removeTemps());

describe('NODE_DEBUG=nss', () => {
  it('logs init, handshakes and failures; stays silent without it', async () => {
    const server = tls.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end('x'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const script = `const nss = require('node-nss');
      nss.init({ loadBuiltinRoots: false });
      const ca = ${JSON.stringify(pki.pem.ca)};
      const good = nss.createConnection({ host: '127.0.0.1', port: ${port}, servername: 'localhost', ca });
      good.resume();
      good.on('end', () => {
        const bad = nss.createConnection({ host: '127.0.0.1', port: ${port}, servername: 'localhost' });
        bad.on('error', () => { nss.shutdown(); process.exit(0); });
      });`;
    try {
      const logged = await nodeScript(script, { env: { NODE_DEBUG: 'nss' } });
      expect(logged.status, logged.stderr).toBe(0);
      const lines = logged.stderr.split('\n').filter((l) => /^NSS \d+: /.test(l));
      expect(lines[0]).toMatch(/init: no database, roots not loaded, NSS 3\.\d+/);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /client to 127\.0\.0\.1:\d+ handshake: tls1\.3 TLS_\w+, peer CN=localhost, authorized true$/,
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(/client socket failed: SEC_ERROR_(UNKNOWN|UNTRUSTED)_ISSUER /),
      );
      const quiet = await nodeScript(script);
      expect(quiet.status, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toMatch(/NSS \d+: /);
    } finally {
      server.close();
    }
  });
});
