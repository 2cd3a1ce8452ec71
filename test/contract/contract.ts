// Setup and pairing for the contract suite: one NSS database and its PEM exports for both implementations,
// and the four legs of every scenario as vitest tests named after the scenario and the pairing.
//
//   npx vitest run test/contract/                      every leg; a failing leg's message lists its differences
//   CONTRACT_SUMMARY=/tmp/s.tsv npx vitest run …       one line per leg: pass/FAIL, name, the differences
//   CONTRACT_RECORDS=/tmp/r.txt npx vitest run …       every leg's whole record (JSON), reference ones too
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { init, shutdown } from 'node-nss';
import { opensslP256Request, removeTemps, tempDir, writableCopy } from '../support/tools.js';
import {
  differences,
  nodeClient,
  nodeServer,
  nssClient,
  nssServer,
  runLeg,
  summarise,
  type ClientImpl,
  type Credentials,
  type Leg,
  type LegPlan,
  type LegRecord,
  type ServerImpl,
} from './harness.js';

const UNTRUSTED = 'contract_untrusted';

/**
 * Initialises NSS over a private copy of the ECDSA fixture database, to which a self-signed server
 * certificate (trusted by nobody) is added; node:tls gets the PEM exports of the same certificates and keys.
 */
export function useContractCredentials(): () => Credentials {
  let creds: Credentials | undefined;
  beforeAll(() => {
    const fx = writableCopy(inject('fixtures').ec);
    const dir = tempDir('contract');
    const certPem = path.join(dir, 'untrusted.pem');
    const keyPem = path.join(dir, 'untrusted.key.pem');
    const p12 = path.join(dir, 'untrusted.p12');
    const run = (cmd: string, args: string[]) =>
      execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    opensslP256Request({
      keyOut: keyPem,
      out: certPem,
      subject: '/CN=localhost/O=nobody trusts this',
      days: 30,
      extensions: [
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ],
    });
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      certPem,
      '-inkey',
      keyPem,
      '-name',
      UNTRUSTED,
      '-out',
      p12,
      '-passout',
      'pass:contract',
    ]);
    run('pk12util', ['-i', p12, '-d', fx.db, '-k', fx.passwordFile, '-W', 'contract']);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    creds = {
      caPem: fs.readFileSync(fx.certs.test_ca.pemPath),
      server: {
        nickname: 'test_server',
        certPem: fs.readFileSync(fx.certs.test_server.pemPath),
        keyPem: fs.readFileSync(fx.keyPemPaths.test_server),
      },
      untrusted: { nickname: UNTRUSTED, certPem: fs.readFileSync(certPem), keyPem: fs.readFileSync(keyPem) },
      user: {
        nickname: 'test_user',
        certPem: fs.readFileSync(fx.certs.test_user.pemPath),
        keyPem: fs.readFileSync(fx.keyPemPaths.test_user),
      },
      dbDir: fx.db,
      files: {
        caCert: fx.certs.test_ca.pemPath,
        serverCert: fx.certs.test_server.pemPath,
        serverKey: fx.keyPemPaths.test_server,
      },
    };
  });
  afterAll(() => {
    shutdown();
    removeTemps();
  });
  return () => {
    if (!creds) throw new Error('credentials are made in beforeAll');
    return creds;
  };
}

export interface Scenario {
  name: string;
  /** Milliseconds a leg may take: a generous upper bound (the reference takes a small fraction of it). */
  deadline: number;
  /** 'all': the four pairings; 'clients': only the client varies (the server is node's own, in the plan). */
  pairings?: 'all' | 'clients';
  plan(client: ClientImpl, server: ServerImpl): Omit<LegPlan, 'clientImpl' | 'serverImpl' | 'deadline'>;
  /** The scenario's end, when it is not 'both ends emitted close'. */
  done?: (leg: Leg) => boolean;
  /** A scenario's own normalisation, applied to every leg's record (documented where it is defined). */
  normalise?: (record: LegRecord) => LegRecord;
  /** What the reference itself must show: the scenario exercises what it says it does. */
  check: (reference: LegRecord) => void;
}

/** Registers every leg of every scenario as a test; node-nss legs must record what the reference records. */
export function contractSuite(title: string, scenarios: Scenario[], credentials: () => Credentials): void {
  describe(title, () => {
    for (const scenario of scenarios) {
      let reference: Promise<LegRecord> | undefined;
      const clientImpls = () => ({ node: nodeClient(credentials()), nss: nssClient(credentials()) });
      const serverImpls = () => ({ node: nodeServer(credentials()), nss: nssServer(credentials()) });
      const leg = async (client: ClientImpl, server: ServerImpl) => {
        const record = await runLeg({
          ...scenario.plan(client, server),
          deadline: scenario.deadline,
          ...(scenario.done ? { done: scenario.done } : {}),
          clientImpl: client,
          // 'clients' scenarios run their own (node) server
          ...(scenario.pairings === 'clients' ? {} : { serverImpl: server }),
        });
        const result = scenario.normalise ? scenario.normalise(record) : record;
        if (process.env.CONTRACT_RECORDS) {
          const pairing = `${client.name} client${scenario.pairings === 'clients' ? '' : `, ${server.name} server`}`;
          fs.appendFileSync(
            process.env.CONTRACT_RECORDS,
            `${scenario.name} — ${pairing}\n${JSON.stringify(result)}\n`,
          );
        }
        return result;
      };
      const getReference = () =>
        (reference ??= leg(clientImpls().node, serverImpls().node).then((r) => {
          scenario.check(r);
          return r;
        }));
      const timeout = scenario.deadline * 2 + 20_000;
      const pairings: Array<['node' | 'nss', 'node' | 'nss']> =
        scenario.pairings === 'clients'
          ? [
              ['node', 'node'],
              ['nss', 'node'],
            ]
          : [
              ['node', 'node'],
              ['nss', 'node'],
              ['node', 'nss'],
              ['nss', 'nss'],
            ];
      const implName = { node: 'node:tls', nss: 'node-nss' };
      for (const [c, s] of pairings) {
        const serverPart = scenario.pairings === 'clients' ? '' : ` ↔ ${implName[s]} server`;
        const name = `${scenario.name} — ${implName[c]} client${serverPart}`;
        if (c === 'node' && s === 'node') {
          it(
            `${name} (reference)`,
            async () => {
              const ref = await getReference();
              summarise(`${name} (reference)`, []);
              expect(ref.completed).toBe(true);
            },
            timeout,
          );
          continue;
        }
        it(
          name,
          async () => {
            let ref: LegRecord;
            try {
              ref = await getReference();
            } catch (err) {
              throw new Error(`the reference leg failed, nothing to compare with: ${String(err)}`, {
                cause: err,
              });
            }
            const actual = await leg(clientImpls()[c], serverImpls()[s]);
            const diffs = differences(ref, actual);
            summarise(name, diffs);
            expect(diffs, `${name}\n${diffs.join('\n')}`).toEqual([]);
          },
          timeout,
        );
      }
    }
  });
}
