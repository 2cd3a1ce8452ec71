// testssl.sh (Debian's package) against `node-nss serve` with its defaults: protocols, cipher categories,
// forward secrecy, server defaults and every vulnerability check. Nothing about node-nss may be flagged; the
// findings testssl makes about the test certificate itself (a private CA, no revocation URLs, no DNS) are
// the operator's to answer and are listed below with their reasons. sslscan's view is in
// test/security-defaults.test.ts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { interactive, spawnPeer } from '../support/peers.js';
import { recordFigures } from '../support/figures.js';
import { removeTemps, tempDir } from '../support/tools.js';

const fx = inject('fixtures').rsa;
afterAll(() => removeTemps());

/** Findings about the certificate the test serves or the scanning machine, not about node-nss. */
const NOT_NODE_NSS: Record<string, string> = {
  engine_problem: "the scanner's own openssl has no GOST engine",
  cert_chain_of_trust: 'the fixture CA is private (testssl checks against public root stores)',
  cert_revocation: 'the fixture certificates carry no CRL or OCSP address',
  DNS_CAArecord: '127.0.0.1 has no DNS name to hold a CAA record',
  // NSS writes a fixed two-day lifetime hint into every ticket (ssl_ticket_lifetime; NSS 3.87 has no public
  // setter), and testssl rates anything over a day LOW. The ticket keys live only as long as the process.
  TLS_session_ticket: "NSS's fixed 172800 s ticket lifetime hint",
};

/** Every vulnerability testssl knows how to try, each of which must come back OK. */
const VULNERABILITIES = [
  'heartbleed',
  'CCS',
  'ROBOT',
  'secure_renego',
  'secure_client_renego',
  'CRIME_TLS',
  'POODLE_SSL',
  'fallback_SCSV',
  'SWEET32',
  'FREAK',
  'DROWN',
  'LOGJAM',
  'BEAST',
  'LUCKY13',
  'RC4',
];

describe('testssl.sh against node-nss serve', () => {
  it('flags nothing about node-nss: protocols, ciphers, forward secrecy, server defaults, vulnerabilities', async () => {
    const serve = interactive(
      spawnPeer(process.execPath, [
        path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js'),
        ...['serve', '-d', fx.db, '-w', fx.password, '-n', 'test_server', '-p', '0'],
      ]),
    );
    try {
      await serve.seen(/listening on \d+/);
      const port = Number(/listening on (\d+)/.exec(serve.output())?.[1]);
      const json = path.join(tempDir('testssl'), 'findings.json');
      const status = await new Promise<number | null>((resolve) => {
        const scan = spawn(
          'testssl',
          [
            ...[
              '--quiet',
              '--color',
              '0',
              '--warnings',
              'off',
              '--ip',
              'one',
              '--sneaky',
              '--jsonfile',
              json,
            ],
            ...['-p', '-s', '-f', '-S', '-U', `127.0.0.1:${port}`],
          ],
          { stdio: 'ignore' },
        );
        const timer = setTimeout(() => scan.kill('SIGKILL'), 400_000);
        scan.on('close', (code) => (clearTimeout(timer), resolve(code)));
      });
      const findings = JSON.parse(fs.readFileSync(json, 'utf8')) as Array<{
        id: string;
        severity: string;
        finding: string;
      }>;
      // testssl's exit status counts its findings; the JSON says which they are.
      expect(status).not.toBeNull();
      const flagged = findings
        .filter((f) => !['OK', 'INFO', 'DEBUG'].includes(f.severity) && !(f.id in NOT_NODE_NSS))
        .map((f) => `${f.severity} ${f.id}: ${f.finding}`);
      expect(flagged).toEqual([]);
      const severity = new Map(findings.map((f) => [f.id, f.severity]));
      for (const id of [...VULNERABILITIES, 'SSLv2', 'SSLv3', 'TLS1_2', 'TLS1_3', 'PFS', 'cipherlist_NULL'])
        expect(`${id} ${severity.get(id)}`).toBe(`${id} OK`);
      for (const old of ['TLS1', 'TLS1_1'])
        expect(findings.find((f) => f.id === old)?.finding).toMatch(/not offered/);
      recordFigures('scanners', {
        scanner: 'testssl.sh',
        checks: findings.length,
        flaggedAboutNodeNSS: flagged.length,
        aboutTheCertificateOrScanner: findings.filter((f) => f.id in NOT_NODE_NSS && f.severity !== 'OK')
          .length,
      });
    } finally {
      serve.stop();
    }
  }, 480_000);
});
