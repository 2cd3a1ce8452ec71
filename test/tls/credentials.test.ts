// Credentials in memory (`key`, `cert`, `ca` as PEM or DER, no database): each scenario runs against node:tls
// and node-nss in every pairing, with openssl's files, and must end the same way. Then the attacks on the
// rules that come with them: `ca` trusted by its own sockets only, and sessions never crossing trust anchors
// or client identities.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Certificate,
  connect,
  createSecureContext,
  createServer,
  getDefaultCertDB,
  init,
  SecureContext,
  shutdown,
  certificateUsageSSLServer,
  type SSLServer,
  type SSLSocket,
} from 'node-nss';
import { makePemPKI, PFX_PASSPHRASE, type PemPKI } from '../support/pem-pki.js';
import { certutilList, emptyDB, nodeScript, removeTemps, run, runOk } from '../support/tools.js';
import { within } from '../support/tls.js';

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
  // No database: what a node:tls user has.
  init({ loadBuiltinRoots: false });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

type Impl = 'node' | 'nss';
const IMPLS: Impl[] = ['node', 'nss'];

interface ServerSpec {
  key?: string;
  cert?: string;
  pfx?: Buffer;
  passphrase?: string;
  /** CAs for client certificates; with `requireCert` a client without a valid one is refused. */
  ca?: string;
  requestCert?: boolean;
  requireCert?: boolean;
}
interface ClientSpec {
  ca?: string;
  key?: string;
  cert?: string;
  pfx?: Buffer;
  passphrase?: string;
}
/** What a connection ended as, in terms both implementations share. */
interface Outcome {
  ok: boolean;
  /** The server's view of the client certificate (its CN), when the connection worked. */
  clientCN?: string | null;
  reply?: string;
}

interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** The reply names the client's certificate, so that both ends' views are compared. */
async function startServer(impl: Impl, spec: ServerSpec): Promise<RunningServer> {
  if (impl === 'node') {
    const server = tls.createServer(
      {
        key: spec.key,
        cert: spec.cert,
        pfx: spec.pfx,
        passphrase: spec.passphrase,
        ca: spec.ca,
        requestCert: spec.requestCert || spec.requireCert,
        rejectUnauthorized: spec.requireCert ?? false,
      },
      (sock) => {
        const peer = sock.getPeerCertificate();
        sock.end(`hello ${sock.authorized && peer.subject ? String(peer.subject.CN) : '-'}`);
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const server: SSLServer = createServer(
    {
      key: spec.key,
      cert: spec.cert,
      pfx: spec.pfx,
      passphrase: spec.passphrase,
      ca: spec.ca,
      requestCert: spec.requestCert,
      requireCert: spec.requireCert,
    },
    (sock: SSLSocket) => {
      const peer = sock.authorized ? sock.getPeerCertificate() : null;
      sock.end(`hello ${peer?.subjectCommonName ?? '-'}`);
    },
  );
  server.on('tlsClientError', () => undefined);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return { port, close: () => server.close() };
}

async function runClient(impl: Impl, port: number, spec: ClientSpec): Promise<Outcome> {
  const read = (sock: NodeJS.ReadableStream & { destroy(): void }) =>
    new Promise<string>((resolve, reject) => {
      let data = '';
      sock.on('data', (chunk: Buffer) => (data += chunk.toString()));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
  const outcome = async (): Promise<Outcome> => {
    if (impl === 'node') {
      const sock = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...spec });
      await new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', resolve);
        sock.once('error', reject);
      });
      const reply = await read(sock);
      sock.destroy();
      return { ok: true, reply };
    }
    const sock = await connect({ port, host: '127.0.0.1', servername: 'localhost', ...spec });
    const reply = await read(sock);
    sock.destroy();
    return { ok: true, reply };
  };
  try {
    const result = await within(10_000, `${impl} client`, outcome());
    // TLS 1.3: a server that refuses the client's certificate says so after the client's handshake is done.
    if (result.reply === '') return { ok: false };
    return result;
  } catch {
    return { ok: false };
  }
}

/** Runs the scenario in all four pairings; returns the outcome of each, keyed `server→client`. */
async function everyPairing(server: ServerSpec, client: ClientSpec): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  for (const s of IMPLS) {
    const running = await startServer(s, server);
    try {
      for (const c of IMPLS) out[`${s} server, ${c} client`] = await runClient(c, running.port, client);
    } finally {
      await running.close();
    }
  }
  return out;
}

function same(outcomes: Record<string, Outcome>, expected: Outcome): void {
  expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((k) => [k, expected])));
}

describe('credentials in memory, against node:tls in every pairing', () => {
  it('an EC server certificate from PEM, verified against `ca`', async () => {
    same(
      await everyPairing({ key: pki.pem['server-ec.key']!, cert: pki.pem['server-ec']! }, { ca: pki.pem.ca }),
      {
        ok: true,
        reply: 'hello -',
      },
    );
  });

  it('an RSA server certificate whose key is PKCS #1 (BEGIN RSA PRIVATE KEY)', async () => {
    same(
      await everyPairing(
        { key: pki.pem['server-rsa.pkcs1.key']!, cert: pki.pem['server-rsa']! },
        { ca: pki.pem.ca },
      ),
      { ok: true, reply: 'hello -' },
    );
  });

  it('a chain: the intermediate given after the certificate is sent, and a client trusting the root verifies', async () => {
    same(
      await everyPairing(
        { key: pki.pem['server-int.key']!, cert: pki.pem['server-int']! + pki.pem.int! },
        { ca: pki.pem.ca },
      ),
      { ok: true, reply: 'hello -' },
    );
  });

  it('without the intermediate the same client refuses the server', async () => {
    // An intermediate this process has not seen: NSS completes chains from the certificates it holds (next test).
    same(
      await everyPairing(
        { key: pki.pem['server-int2.key']!, cert: pki.pem['server-int2']! },
        { ca: pki.pem.ca },
      ),
      { ok: false },
    );
  });

  it('unlike node:tls, NSS completes a chain from an intermediate it holds in memory (documented)', async () => {
    const holder = createSecureContext({ ca: pki.pem.int2 });
    const outcomes = await everyPairing(
      { key: pki.pem['server-int2.key']!, cert: pki.pem['server-int2']! },
      { ca: pki.pem.ca },
    );
    expect(outcomes).toEqual({
      'node server, node client': { ok: false },
      // the node-nss client finds the intermediate the server did not send
      'node server, nss client': { ok: true, reply: 'hello -' },
      // the node-nss server sends the chain it can build
      'nss server, node client': { ok: true, reply: 'hello -' },
      'nss server, nss client': { ok: true, reply: 'hello -' },
    });
    expect(holder.trustAnchors).toHaveLength(1);
  });

  it('a server certificate from a CA not in `ca` is refused', async () => {
    same(await everyPairing({ key: pki.pem['impostor.key']!, cert: pki.pem.impostor! }, { ca: pki.pem.ca }), {
      ok: false,
    });
  });

  it('a client certificate from PEM, required and verified against the server `ca`', async () => {
    const server = {
      key: pki.pem['server-ec.key']!,
      cert: pki.pem['server-ec']!,
      ca: pki.pem.ca,
      requireCert: true,
    };
    same(await everyPairing(server, { ca: pki.pem.ca, key: pki.pem['client.key'], cert: pki.pem.client }), {
      ok: true,
      reply: 'hello pem-client',
    });
    same(await everyPairing(server, { ca: pki.pem.ca }), { ok: false });
    same(
      await everyPairing(server, {
        ca: pki.pem.ca,
        key: pki.pem['other-client.key'],
        cert: pki.pem['other-client'],
      }),
      { ok: false },
    );
  });
});

describe('keys and certificates in the forms node:tls takes', () => {
  it('PKCS #8, PKCS #1, SEC 1, DER and encrypted PEM all give a working key', async () => {
    const forms: Array<[string, Parameters<typeof createSecureContext>[0]]> = [
      ['pkcs8', { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }],
      ['sec1', { key: pki.pem['server-ec.sec1.key'], cert: pki.pem['server-ec'] }],
      [
        'encrypted',
        { key: pki.pem['server-ec.enc.key'], passphrase: 'secret pass', cert: pki.pem['server-ec'] },
      ],
      [
        'encrypted, own passphrase',
        {
          key: [{ pem: pki.pem['server-ec.enc.key']!, passphrase: 'secret pass' }],
          cert: [pki.pem['server-ec']!],
        },
      ],
      ['pkcs1', { key: pki.pem['server-rsa.pkcs1.key'], cert: pki.pem['server-rsa'] }],
      [
        'DER Buffers',
        {
          key: readFileSync(pki.file('server-rsa.der')),
          cert: new X509Certificate(pki.pem['server-rsa']!).raw,
        },
      ],
    ];
    for (const [form, opts] of forms) {
      const context = createSecureContext(opts);
      const server = createServer({ secureContext: context }, (sock) => sock.end(form));
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
      try {
        expect(await runClient('node', port, { ca: pki.pem.ca }), form).toEqual({ ok: true, reply: form });
      } finally {
        await server.close();
      }
    }
  });

  it('PEM files with openssl\'s "Bag Attributes" lines before the block (openssl pkcs12 -nodes)', async () => {
    const bag = (pem: string) =>
      Buffer.from(
        `Bag Attributes\n    friendlyName: x\n    localKeyID: 01 02 03 04 05 06 07 08 09 0A 0B 0C\nKey Attributes: <No Attributes>\n${pem}`,
      );
    const context = createSecureContext({
      key: bag(pki.pem['server-ec.key']!),
      cert: bag(pki.pem['server-ec']!),
    });
    const server = createServer({ secureContext: context }, (sock) => sock.end('bag'));
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await runClient('node', port, { ca: pki.pem.ca })).toEqual({ ok: true, reply: 'bag' });
    } finally {
      await server.close();
    }
  });

  it('an RSA and an EC certificate served side by side: each client gets the one it can use', async () => {
    const server = createServer(
      {
        key: [pki.pem['server-rsa.key']!, pki.pem['server-ec.key']!],
        cert: [pki.pem['server-ec']!, pki.pem['server-rsa']!],
      },
      (sock) => sock.end('ok'),
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const [sigalgs, type] of [
        ['ecdsa_secp256r1_sha256', 'EC'],
        ['rsa_pss_rsae_sha256', 'RSA'],
      ] as const) {
        const sock = tls.connect({
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca: pki.pem.ca,
          sigalgs,
        });
        const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
          sock.once('secureConnect', () => resolve(sock.getPeerCertificate()));
          sock.once('error', reject);
        });
        sock.destroy();
        expect(cert.asn1Curve !== undefined ? 'EC' : 'RSA', sigalgs).toBe(type);
      }
    } finally {
      await server.close();
    }
  });

  it('as node:tls: null, false and empty credentials are none; TypedArrays and DataViews are their bytes', async () => {
    // Found by node's own tests run against node-nss/tls (test-tls-options-boolean-check): `ca: null`, and
    // keys in a Uint8Array, were TypeErrors.
    const u8 = (pem: string) => new Uint8Array(Buffer.from(pem));
    const view = (pem: string) => {
      const bytes = Buffer.from(pem);
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
    same(
      await everyPairing(
        {
          key: u8(pki.pem['server-ec.key']!),
          cert: view(pki.pem['server-ec']!),
          ca: null,
        } as unknown as ServerSpec,
        { ca: u8(pki.pem.ca!), key: false, cert: '' } as unknown as ClientSpec,
      ),
      { ok: true, reply: 'hello -' },
    );
    for (const absent of [null, false, '']) {
      // node:tls reads key, cert and ca this way (crl and pfx only take null); node-nss all five.
      const options = { ca: absent, key: absent, cert: absent } as never;
      expect(() => tls.createSecureContext(options), String(absent)).not.toThrow();
      const all = { ca: absent, crl: absent, pfx: absent, key: absent, cert: absent } as never;
      expect(createSecureContext(all).identities, String(absent)).toEqual([]);
    }
    // Numbers are no credential: node:tls ignores 0 (documented difference), node-nss says so.
    expect(() => createSecureContext({ ca: 0 as never })).toThrow(TypeError);
  });

  it('bad credentials are clear errors, before any connection', () => {
    expect(() => createSecureContext({ key: pki.pem['client.key'], cert: pki.pem['server-ec'] })).toThrow(
      /"opts\.key" key matches no certificate/,
    );
    expect(() => createSecureContext({ cert: pki.pem['server-ec'] })).toThrow(
      /"opts\.cert" certificate has no key/,
    );
    expect(() => createSecureContext({ key: pki.pem['ed25519.key'], cert: pki.pem['server-ec'] })).toThrow(
      /ed25519 key; NSS takes RSA keys and EC keys/,
    );
    expect(() =>
      createSecureContext({ key: pki.pem['server-ec.enc.key'], cert: pki.pem['server-ec'] }),
    ).toThrow(/encrypted, and no passphrase was given/);
    expect(() =>
      createSecureContext({
        key: pki.pem['server-ec.enc.key'],
        passphrase: 'wrong',
        cert: pki.pem['server-ec'],
      }),
    ).toThrow(RangeError);
    expect(() => createSecureContext({ ca: 'no certificate here' })).toThrow(TypeError);
    expect(() => createSecureContext({ key: 42 as unknown as string })).toThrow(
      /"opts\.key" argument must be/,
    );
    expect(() => createServer({})).toThrow(/no certificate/);
  });
});

describe('PKCS #12 (`pfx`) in memory, against node:tls in every pairing', () => {
  const pfx = (name: string) => readFileSync(pki.file(name));

  it("a server certificate and its intermediate from openssl's file (PBES2, AES-256, SHA-256 MAC)", async () => {
    same(await everyPairing({ pfx: pfx('server-int.p12'), passphrase: PFX_PASSPHRASE }, { ca: pki.pem.ca }), {
      ok: true,
      reply: 'hello -',
    });
  });

  it("pk12util's file of the same (BER, indefinite lengths, 600,000 iterations)", async () => {
    same(
      await everyPairing({ pfx: pfx('server-int.nss.p12'), passphrase: PFX_PASSPHRASE }, { ca: pki.pem.ca }),
      { ok: true, reply: 'hello -' },
    );
  });

  it('a client certificate from a file with PKCS #12 encryption (3DES, a BMPString password) and a SHA-1 MAC', async () => {
    same(
      await everyPairing(
        { key: pki.pem['server-ec.key']!, cert: pki.pem['server-ec']!, ca: pki.pem.ca, requireCert: true },
        { ca: pki.pem.ca, pfx: pfx('client.3des.p12'), passphrase: PFX_PASSPHRASE },
      ),
      { ok: true, reply: 'hello pem-client' },
    );
  });

  it('a file with an empty password, given no passphrase; a `{ buf, passphrase }` entry with its own', async () => {
    same(await everyPairing({ pfx: pfx('server-rsa.nopass.p12') }, { ca: pki.pem.ca }), {
      ok: true,
      reply: 'hello -',
    });
    const entries = [
      { buf: pfx('server-int.p12'), passphrase: PFX_PASSPHRASE },
      { buf: pfx('server-rsa.nopass.p12') },
    ];
    expect(() => tls.createSecureContext({ pfx: entries })).not.toThrow();
    const context = createSecureContext({ pfx: entries });
    expect(context.identities.map((id) => id.cert.subjectCommonName)).toEqual(['localhost', 'localhost']);
    expect(context.identities.map((id) => id.key.keyType)).toEqual(['ec', 'rsa']);
    // The chain: the certificate, then its issuer from the file.
    expect(context.identities[0]!.chain.map((c) => c.subject)).toEqual([
      'CN=localhost',
      'CN=PEM Intermediate CA',
    ]);
    // An entry's empty passphrase gives way to the top-level one, in node:tls (`||`) and here.
    const emptyOverridden = {
      passphrase: 'not this one',
      pfx: [{ buf: pfx('server-rsa.nopass.p12'), passphrase: '' }],
    };
    expect(() => tls.createSecureContext(emptyOverridden)).toThrow();
    expect(() => createSecureContext(emptyOverridden)).toThrow(
      expect.objectContaining({ name: 'NSPRError' }),
    );
  });

  it("a key that belongs to none of the file's certificates is refused by both, whatever IDs the file gives", () => {
    // No localKeyID anywhere: the impostor's key beside server-ec's certificate. NSS would have unwrapped it
    // under that certificate's ID and served the pair.
    const mismatched = { pfx: pfx('server-ec.mismatched.p12'), passphrase: PFX_PASSPHRASE };
    expect(() => tls.createSecureContext(mismatched)).toThrow();
    expect(() => createSecureContext(mismatched)).toThrow(
      /"opts\.pfx" PKCS #12 file's private key belongs to none of its certificates/,
    );
    expect(() => createServer(mismatched)).toThrow(RangeError);
  });

  it('without IDs, the keys themselves pair: the same certificate as node:tls is served', async () => {
    same(
      await everyPairing({ pfx: pfx('server-ec.bare.p12'), passphrase: PFX_PASSPHRASE }, { ca: pki.pem.ca }),
      { ok: true, reply: 'hello -' },
    );
    // The intermediate's key, with the leaf it issued listed first: node:tls serves the intermediate.
    const intKey = { pfx: pfx('int-key.bare.p12'), passphrase: PFX_PASSPHRASE };
    const served = new X509Certificate(tls.createSecureContext(intKey).context.getCertificate() as Buffer);
    const [identity] = createSecureContext(intKey).identities;
    expect(identity!.cert.subject).toBe(served.subject);
    expect(identity!.cert.subject).toBe('CN=PEM Intermediate CA');
    expect(identity!.key.keyType).toBe('ec');
  });

  it('a wrong passphrase, a damaged file and a file without a key are refused by both', () => {
    const cases: Array<[string, Buffer, string | undefined]> = [
      ['wrong passphrase', pfx('server-int.p12'), 'wrong'],
      ['damaged', Buffer.concat([pfx('server-int.p12').subarray(0, 600), Buffer.alloc(10)]), PFX_PASSPHRASE],
      ['certificates only', pfx('ca-only.p12'), PFX_PASSPHRASE],
    ];
    for (const [what, buf, passphrase] of cases) {
      expect(() => tls.createSecureContext({ pfx: buf, passphrase }), what).toThrow();
    }
    expect(() => createSecureContext({ pfx: pfx('server-int.p12'), passphrase: 'wrong' })).toThrow(
      expect.objectContaining({ name: 'NSPRError', code: 'SEC_ERROR_BAD_PASSWORD' }),
    );
    expect(() => createSecureContext({ pfx: cases[1]![1], passphrase: PFX_PASSPHRASE })).toThrow(
      expect.objectContaining({ name: 'NSPRError' }),
    );
    expect(() => createSecureContext({ pfx: pfx('ca-only.p12'), passphrase: PFX_PASSPHRASE })).toThrow(
      /"opts\.pfx" PKCS #12 file holds no private key/,
    );
    expect(() => createSecureContext({ pfx: 'not bytes' as never })).toThrow(TypeError);
    expect(() =>
      createSecureContext({ pfx: [pfx('server-int.p12'), 7 as never], passphrase: PFX_PASSPHRASE }),
    ).toThrow(/"opts\.pfx\[1\]"/);
    expect(() =>
      createSecureContext({ pfx: { buf: pfx('server-int.p12'), passphrase: 5 as never } }),
    ).toThrow(/"opts\.pfx\.passphrase" option must be a string/);
  });

  it("unlike node:tls, the CA certificate inside a client's pfx is not trusted (documented): trust comes from `ca`", async () => {
    const server = { key: pki.pem['server-ec.key']!, cert: pki.pem['server-ec']! };
    const client = { pfx: pfx('client-ca.p12'), passphrase: PFX_PASSPHRASE };
    const outcomes = await everyPairing(server, client);
    expect(outcomes).toEqual({
      'node server, node client': { ok: true, reply: 'hello -' },
      'node server, nss client': { ok: false },
      'nss server, node client': { ok: true, reply: 'hello -' },
      'nss server, nss client': { ok: false },
    });
  });

  it('with a database open, a pfx leaves nothing in it: no certificate, no key', async () => {
    const { db } = emptyDB();
    const script = `
      const nss = require('node-nss');
      nss.init({ dbDir: ${JSON.stringify(db)}, readOnly: false, loadBuiltinRoots: false });
      const context = nss.createSecureContext({
        pfx: require('fs').readFileSync(${JSON.stringify(pki.file('server-int.p12'))}),
        passphrase: ${JSON.stringify(PFX_PASSPHRASE)},
      });
      console.log(context.identities.length, context.identities[0].key.keyType);
      nss.shutdown();`;
    const r = await nodeScript(script, { ms: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1 ec');
    expect([...certutilList(db).keys()]).toEqual([]);
    // certutil -K exits 255 with "no keys found" on an empty token.
    const keys = run('certutil', ['-K', '-d', db]);
    expect({ status: keys.status, output: keys.stdout + keys.stderr }).toMatchObject({
      status: 255,
      output: expect.stringMatching(/no keys found/),
    });
    // What NSS's own import does with the same file, for contrast: both written.
    runOk('pk12util', ['-i', pki.file('server-int.p12'), '-d', db, '-W', PFX_PASSPHRASE]);
    expect(runOk('certutil', ['-K', '-d', db])).toMatch(/server-int/);
  });
});

describe('attacks on the rules', () => {
  it('`ca` is trusted by the sockets given it, not by the process', async () => {
    const server = await startServer('nss', { key: pki.pem['server-ec.key']!, cert: pki.pem['server-ec']! });
    try {
      expect(await runClient('nss', server.port, { ca: pki.pem.ca })).toEqual({ ok: true, reply: 'hello -' });
      // The CA is a temporary certificate now; it must not have become a root for anyone else.
      const cert = Certificate.fromPEM(pki.pem['server-ec']!);
      expect(() => cert.verifyNow(getDefaultCertDB(), true, certificateUsageSSLServer)).toThrow(
        expect.objectContaining({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' }),
      );
      // A socket without `ca` to the same server: a full verification, which fails (no resumption either).
      expect(await runClient('nss', server.port, {})).toEqual({ ok: false });
      // Another CA given as `ca` does not pick up a session the first one made.
      expect(await runClient('nss', server.port, { ca: pki.pem['other-ca'] })).toEqual({ ok: false });
    } finally {
      await server.close();
    }
  });

  it("`ca` alone refuses a chain to the database's roots, after a verification against them and beside them", async () => {
    // The database trusts other-ca; the server's certificate is other-ca's. A socket on the database's trust
    // verifies it, and so does one with [ca] beside the database (each makes a session); one with [ca] alone
    // must still refuse it: not resume a session, and not take the chain libpkix built before from its cache
    // (which it did on NSS 3.87 until the anchor a chain ends in was checked).
    const { dir, db } = emptyDB();
    runOk('certutil', ['-A', '-d', db, '-n', 'other-ca', '-t', 'C,,', '-i', pki.file('other-ca.crt')]);
    const script = `
      const nss = require('node-nss');
      const fs = require('node:fs');
      const file = (name) => fs.readFileSync(require('node:path').join(${JSON.stringify(pki.dir)}, name), 'latin1');
      nss.init({ dbDir: ${JSON.stringify(dir)}, loadBuiltinRoots: false });
      const ca = nss.Certificate.fromPEM(file('ca.crt'));
      const server = nss.createServer({ key: file('impostor.key'), cert: file('impostor.crt') }, (s) => s.end('hi'));
      server.listen({ port: 0, host: '127.0.0.1' }).then(async ({ port }) => {
        const attempt = (trust) => new Promise((resolve) => {
          const sock = nss.createConnection({ port, host: '127.0.0.1', servername: 'localhost' });
          if (trust !== 'database') sock.setTrustAnchors([ca], { keepDatabaseTrust: trust === 'beside' });
          sock.once('secureConnect', () => {
            const { resumed } = sock.getSSLChannelInfo();
            sock.resume();
            sock.once('close', () => resolve({ trust, ok: true, resumed }));
          });
          sock.once('error', (err) => resolve({ trust, ok: false, code: err.code }));
        });
        const seen = [];
        for (const trust of ['database', 'alone', 'beside', 'beside', 'alone', 'database'])
          seen.push(await attempt(trust));
        process.stdout.write(JSON.stringify(seen));
        server.close();
      });`;
    const r = await nodeScript(script, { ms: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      { trust: 'database', ok: true, resumed: false },
      { trust: 'alone', ok: false, code: 'SEC_ERROR_UNTRUSTED_ISSUER' },
      { trust: 'beside', ok: true, resumed: false },
      { trust: 'beside', ok: true, resumed: true },
      { trust: 'alone', ok: false, code: 'SEC_ERROR_UNTRUSTED_ISSUER' },
      { trust: 'database', ok: true, resumed: true },
    ]);
  });

  it('a session made with one client certificate is not resumed by a socket with another, or with none', async () => {
    // requestCert only: a client without a certificate connects, and the server reports who it is.
    const server = await startServer('nss', {
      key: pki.pem['server-ec.key']!,
      cert: pki.pem['server-ec']!,
      ca: pki.pem.ca,
      requestCert: true,
    });
    try {
      const withCert = { ca: pki.pem.ca, key: pki.pem['client.key'], cert: pki.pem.client };
      expect(await runClient('nss', server.port, withCert)).toEqual({ ok: true, reply: 'hello pem-client' });
      // The same certificate again (a new context, the same identity) may resume: still pem-client.
      expect(await runClient('nss', server.port, withCert)).toEqual({ ok: true, reply: 'hello pem-client' });
      // No certificate, or another one: if either resumed pem-client's session, the server would take it for
      // pem-client.
      expect(await runClient('nss', server.port, { ca: pki.pem.ca })).toEqual({ ok: true, reply: 'hello -' });
      const other = { ca: pki.pem.ca, key: pki.pem['client2.key'], cert: pki.pem.client2 };
      expect(await runClient('nss', server.port, other)).toEqual({ ok: true, reply: 'hello pem-client-2' });
    } finally {
      await server.close();
    }
  });

  it('sockets sharing one context resume each other’s sessions; the context keeps its credentials alive', async () => {
    const context = createSecureContext({ ca: pki.pem.ca });
    expect(context).toBeInstanceOf(SecureContext);
    expect(context.trustAnchors?.map((c) => c.subject)).toEqual(['CN=PEM Test CA']);
    const server = createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end('x'),
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const resumed: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const sock = await connect({
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          secureContext: context,
        });
        resumed.push(sock.getSSLChannelInfo().resumed);
        await new Promise((resolve) => {
          sock.once('close', resolve);
          sock.resume();
          sock.end();
        });
      }
      expect(resumed).toEqual([false, true, true]);
    } finally {
      await server.close();
    }
  });
});
