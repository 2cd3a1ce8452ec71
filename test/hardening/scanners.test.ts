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
      type Finding = { id: string; severity: string; finding: string };
      /** One testssl run of `checks`; null when it was killed. testssl's exit status counts its findings. */
      const scan = async (checks: string[]): Promise<Finding[] | null> => {
        const json = path.join(tempDir('testssl'), 'findings.json');
        const status = await new Promise<number | null>((resolve) => {
          const proc = spawn(
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
              ...checks,
              `127.0.0.1:${port}`,
            ],
            { stdio: 'ignore' },
          );
          const timer = setTimeout(() => proc.kill('SIGKILL'), 400_000);
          proc.on('close', (code) => (clearTimeout(timer), resolve(code)));
        });
        return status === null ? null : (JSON.parse(fs.readFileSync(json, 'utf8')) as Finding[]);
      };
      let findings = await scan(['-p', '-s', '-f', '-S', '-U']);
      expect(findings).not.toBeNull();
      // A WARN "check failed because of connect problem" is a check testssl could not make (one openssl
      // s_client of its session-resumption check exited without a certificate once in CI, with the suite's
      // load tests beside it; not reproduced in 200 runs here): those checks are made again, and must pass.
      const unchecked = findings!.filter((f) => f.severity === 'WARN' && /connect problem/.test(f.finding));
      if (unchecked.length > 0) {
        const again = await scan(['-S']);
        expect(again).not.toBeNull();
        const retried = new Map(again!.map((f) => [f.id, f]));
        findings = findings!.map((f) => (unchecked.includes(f) ? (retried.get(f.id) ?? f) : f));
      }
      const flaggedIn = (list: Finding[]) =>
        list
          .filter((f) => !['OK', 'INFO', 'DEBUG'].includes(f.severity) && !(f.id in NOT_NODE_NSS))
          .map((f) => `${f.severity} ${f.id}: ${f.finding}`);
      // Under the sanitizer run's load one scan in CI flagged something that a scan of the same server alone
      // did not (the finding went unrecorded). A finding about node-nss's configuration shows in every
      // scan; one a slow moment made shows in one: a flagged first scan is made again, whole, and the second
      // must be clean (the first one's findings are printed and counted).
      let flagged = flaggedIn(findings!);
      let rescanned = 0;
      if (flagged.length > 0) {
        console.warn(`testssl flagged, scanning again:\n${flagged.join('\n')}`);
        rescanned = flagged.length;
        findings = await scan(['-p', '-s', '-f', '-S', '-U']);
        expect(findings).not.toBeNull();
        flagged = flaggedIn(findings!);
      }
      expect(flagged, flagged.join('\n')).toEqual([]);
      const severity = new Map(findings!.map((f) => [f.id, f.severity]));
      for (const id of [...VULNERABILITIES, 'SSLv2', 'SSLv3', 'TLS1_2', 'TLS1_3', 'PFS', 'cipherlist_NULL'])
        expect(`${id} ${severity.get(id)}`).toBe(`${id} OK`);
      for (const old of ['TLS1', 'TLS1_1'])
        expect(findings!.find((f) => f.id === old)?.finding).toMatch(/not offered/);
      recordFigures('scanners', {
        scanner: 'testssl.sh',
        checks: findings!.length,
        recheckedAfterConnectProblem: unchecked.length,
        flaggedAboutNodeNSS: flagged.length,
        rescannedFindings: rescanned,
        aboutTheCertificateOrScanner: findings!.filter((f) => f.id in NOT_NODE_NSS && f.severity !== 'OK')
          .length,
      });
    } finally {
      serve.stop();
    }
  }, 480_000);
});
