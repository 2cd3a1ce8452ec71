// Misbehaving users: callbacks that throw, reject, never settle, destroy the socket or call back into it;
// shutdown() while traffic flows; every object used after close()/destroy()/shutdown(). All against real
// NSS, in child processes, so that a crash or a hang shows as a missing line or a killed child.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { nodeScript, removeTemps, writableCopy } from '../support/tools.js';
import { runCases, validCases, type Outcome } from './surface.js';

const fx = inject('fixtures').ec;
let tried = 0;

afterAll(() => {
  removeTemps();
  if (process.env.HARDENING_SUMMARY) {
    fs.appendFileSync(process.env.HARDENING_SUMMARY, JSON.stringify({ file: 'misuse', cases: tried }) + '\n');
  }
});

interface ScenarioLine {
  name: string;
  result: string;
  ms: number;
  errors?: string[];
  serverErrors?: string[];
  plainAfterwards?: string;
  message?: string;
}

// How a handshake may end: done, or failed with an NSS/NSPR code or the package's own.
// 'Error' and ERR_ codes: the callback's own destroy(err), or Node's stream refusing a write after end().
const CLEAN = /^(ok|closed|not writable|Error|ERR_[A-Z_]+|(SSL|SEC|PR|NSS)_[A-Z0-9_]+)$/;

describe('callbacks that misbehave end the handshake cleanly', () => {
  let lines: ScenarioLine[] = [];
  let child: { status: number | null; stdout: string; stderr: string };

  it(
    'runs every scenario to its end in a child process that exits normally',
    { timeout: 600_000 },
    async () => {
      const db = writableCopy(fx);
      child = await nodeScript(`require(${JSON.stringify(path.join(__dirname, 'callbacks.cjs'))})`, {
        env: { HARDENING_FIXTURE: JSON.stringify(db) },
        ms: 540_000,
      });
      lines = child.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as ScenarioLine);
      tried += lines.length;
      // 16 misbehaviours × (auth, badCert, handshake, clientAuthData, SNI, server handshake callback).
      expect(lines.length, child.stdout.slice(-2000) + child.stderr.slice(-2000)).toBe(16 * 6);
      expect(
        { status: child.status, done: child.stdout.includes('\ndone\n') },
        child.stderr.slice(-2000),
      ).toEqual({
        status: 0,
        done: true,
      });
    },
  );

  it('ends each handshake with success or an error code, within its timeout', () => {
    const unclean = lines.filter((l) => !CLEAN.test(l.result) || l.ms > 15_000);
    expect(unclean).toEqual([]);
  });

  it('fails the handshake when the callback throws or rejects, with the callback’s reason', () => {
    for (const cb of ['authCertificate', 'badCert']) {
      for (const how of ['throw', 'reject']) {
        expect(lines.find((l) => l.name === `${cb}: ${how}`)?.result, `${cb} ${how}`).toBe(
          'SSL_ERROR_BAD_CERTIFICATE',
        );
      }
    }
    expect(lines.find((l) => l.name === 'clientAuthData: throw')?.result).not.toBe('ok');
  });

  it('ends a handshake whose callback never settles with a timeout', () => {
    for (const cb of ['authCertificate', 'badCert', 'clientAuthData']) {
      const l = lines.find((x) => x.name === `${cb}: neverSettle`);
      expect(l?.result, cb).toBe('PR_IO_TIMEOUT_ERROR');
    }
  });

  it('fails a handshake whose socket the callback destroyed', () => {
    for (const cb of ['authCertificate', 'badCert', 'clientAuthData']) {
      expect(lines.find((x) => x.name === `${cb}: destroy`)?.result, cb).not.toBe('ok');
    }
  });

  it('lets reading calls from inside a callback see the handshake in progress without harm', () => {
    for (const cb of ['authCertificate', 'badCert', 'handshake callback']) {
      for (const how of ['getPeerCertificate', 'getSecurityStatus', 'getSSLChannelInfo']) {
        expect(lines.find((x) => x.name === `${cb}: ${how}`)?.result, `${cb} ${how}`).toBe('ok');
      }
    }
  });

  it('refuses resetHandshake() on a socket with a transport, which the callback then fails with', () => {
    // Called from a client's handshake callback on an established TLS 1.3 connection, NSS crashed in the
    // next read (a segmentation fault): the socket now refuses with PR_INVALID_STATE_ERROR.
    for (const cb of ['authCertificate', 'badCert', 'handshake callback']) {
      expect(lines.find((x) => x.name === `${cb}: resetHandshake`)?.result, cb).toBe(
        'SSL_ERROR_BAD_CERTIFICATE',
      );
    }
  });

  it('keeps a server whose SNI callback misbehaved serving others', () => {
    const sni = lines.filter((l) => l.name.startsWith('SNI callback'));
    expect(sni.length).toBe(16);
    expect(sni.filter((l) => l.plainAfterwards !== 'ok')).toEqual([]);
    // One that never settles: the server's handshakeTimeout ends the handshake.
    expect(lines.find((l) => l.name === 'SNI callback: neverSettle')?.serverErrors).toContain(
      'PR_IO_TIMEOUT_ERROR',
    );
  });
});

describe('shutdown() while traffic flows', () => {
  it(
    'closes the sockets with an error code they then report, and init() works again',
    { timeout: 120_000 },
    async () => {
      const r = await nodeScript(`require(${JSON.stringify(path.join(__dirname, 'traffic.cjs'))})`, {
        env: { HARDENING_FIXTURE: JSON.stringify(writableCopy(fx)) },
        ms: 100_000,
      });
      tried += 1;
      expect({ status: r.status, done: r.stdout.includes('\ndone\n') }, r.stdout + r.stderr).toEqual({
        status: 0,
        done: true,
      });
      const { first, second } = JSON.parse(r.stdout.split('\n')[0] ?? '{}');
      // As documented: the sockets close with hadError rather than emitting an 'error' nobody may listen
      // for, and what is asked of them afterwards fails with NSS_SHUT_DOWN.
      expect(first).toMatchObject({
        shutdownError: null,
        initializedAfter: false,
        clientClosed: 'hadError',
        serverClosed: 'hadError',
        handshakeAfter: 'NSS_SHUT_DOWN',
        peerCertAfter: 'NSS_SHUT_DOWN',
      });
      expect(first.echoed).toBeGreaterThanOrEqual(512 * 1024);
      expect(second).toMatchObject({ echoed: 5, client: [], server: [] });
    },
  );
});

describe('objects used after their end give a clear error, never a crash', () => {
  // A use after the end may succeed (a getter reading what the object kept) or fail with an NSPRError
  // carrying a code; anything else (a TypeError from a missing native object, a crash) is a defect.
  function unclear(outcomes: Map<number, Outcome>, cases: ReturnType<typeof validCases>): string[] {
    return cases
      .map((c) => ({ c, o: outcomes.get(c.id) }))
      .filter(
        ({ o }) =>
          !o || !(o.kind === 'ok' || (o.kind === 'NSPRError' && /^[A-Z][A-Z0-9_]+$/.test(o.code ?? ''))),
      )
      .map(
        ({ c, o }) =>
          `${c.key}: ${o ? `${o.kind} ${o.code ?? ''} ${o.message ?? ''}` : 'no outcome (crash)'}`,
      );
  }

  for (const after of ['close', 'shutdown'] as const) {
    it(`after ${after === 'close' ? 'destroy()/close()' : 'shutdown()'}`, { timeout: 300_000 }, async () => {
      // Not the constructors users do not call, nor calls whose table value is deliberately wrong; after
      // close, only the closed objects (not the fresh ones some entries make).
      const cases = validCases(
        (key, e) =>
          !e.params.some((p) => p.mentions || JSON.stringify(p.valid).includes('$wrong')) &&
          (after === 'shutdown' || (/^(SSLSocket|SSLServer)#/.test(key) && e.self !== 'fresh')),
      );
      const r = await runCases(writableCopy(fx), cases, { after, ms: 240_000 });
      tried += r.outcomes.size;
      if (process.env.HARDENING_OUTCOMES) {
        const named = cases.map((c) => [c.key, r.outcomes.get(c.id)]);
        fs.writeFileSync(`${process.env.HARDENING_OUTCOMES}.${after}.json`, JSON.stringify(named, null, 1));
      }
      expect(unclear(r.outcomes, cases)).toEqual([]);
      expect({ done: r.done, status: r.status }, r.stderr.slice(-2000)).toEqual({ done: true, status: 0 });
      const codes = new Set(
        [...r.outcomes.values()].filter((o) => o.kind === 'NSPRError').map((o) => o.code),
      );
      if (after === 'close') {
        // A destroyed socket says it is closed; NSS_SHUT_DOWN (what it said before) means shutdown().
        expect([...codes]).toEqual(['PR_BAD_DESCRIPTOR_ERROR']);
      }
      if (after === 'shutdown') {
        // Every method of NSS's objects fails, but for the wrappers' own fields.
        const benign = /#=?(native|tokenPollInterval)$/;
        const pki = cases.filter(
          (c) => /^(Certificate|CertDB|PK11Slot|PrivateKey|PKCS11Module)#/.test(c.key) && !benign.test(c.key),
        );
        expect(pki.length).toBeGreaterThan(50);
        expect(pki.filter((c) => r.outcomes.get(c.id)?.kind !== 'NSPRError').map((c) => c.key)).toEqual([]);
        // NSS's objects say so by name.
        expect([...codes]).toContain('NSS_SHUT_DOWN');
      }
    });
  }
});
