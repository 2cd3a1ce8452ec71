// One test body written against node:tls's API, run unchanged with `tls` bound to node:tls and to
// node-nss/tls (both ends from one module), then across (a node:tls server with a node-nss/tls client, and the
// reverse). What is compared is what node:tls code reads: events, authorized, getPeerCertificate()'s fields,
// ALPN, SNI, sessions. Error codes differ by design (node-nss keeps NSS's names), so failures are compared as
// failures.
import * as nodeTLS from 'node:tls';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { X509Certificate, constants } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as nssTLS from 'node-nss/tls';
import { readFileSync } from 'node:fs';
import { makePemPKI, PFX_PASSPHRASE, type PemPKI } from '../support/pem-pki.js';
import { emptyDB, nodeScript, removeTemps, runOk, tempDir } from '../support/tools.js';
import { within, waitWhile } from '../support/tls.js';
import { RecordTap } from '../contract/harness.js';

type TLSModule = Pick<typeof nodeTLS, 'connect' | 'createServer' | 'createSecureContext'>;
const modules: Record<string, TLSModule> = {
  'node:tls': nodeTLS,
  'node-nss/tls': nssTLS as unknown as TLSModule,
};
const pairings: Array<[string, string]> = [
  ['node:tls', 'node:tls'],
  ['node-nss/tls', 'node-nss/tls'],
  ['node:tls', 'node-nss/tls'],
  ['node-nss/tls', 'node:tls'],
];

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
});
afterAll(() => removeTemps());

/** Starts `tls.createServer(options, listener)` on 127.0.0.1 as node:tls code does; resolves with its port. */
function listen(server: nodeTLS.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: nodeTLS.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Runs `body` with `server` listening (its port given), then closes the server, whatever `body` did. */
async function serving<T>(server: nodeTLS.Server, body: (port: number) => Promise<T>): Promise<T> {
  const port = await listen(server);
  try {
    return await body(port);
  } finally {
    await close(server);
  }
}

/**
 * A server whose own `ca` (other-ca) does not know the client's CA, asking for client certificates without
 * requiring them, with an SNICallback answering `tenant.test` with a context that trusts the client's CA and
 * `noca.test` with one of no `ca` (the default trust); other names get the default context. `seen` gets
 * "servername authorized" for each connection.
 */
function sniTrustServer(tls: TLSModule, seen: string[]): nodeTLS.Server {
  const identity = { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] };
  const contexts: Record<string, nodeTLS.SecureContext> = {
    'tenant.test': tls.createSecureContext({ ...identity, ca: pki.pem.ca }),
    'noca.test': tls.createSecureContext(identity),
  };
  return tls.createServer(
    {
      ...identity,
      ca: pki.pem['other-ca'],
      requestCert: true,
      rejectUnauthorized: false,
      SNICallback: (name, cb) => cb(null, contexts[name]),
    },
    (s) => {
      seen.push(`${String(s.servername)} ${String(s.authorized)}`);
      s.end('ok');
    },
  );
}

/**
 * Connects to 127.0.0.1:`port` as `localhost`, trusting the PKI's root (with `extra` options on top), and
 * resolves with the socket once connected; an error fails the test.
 */
async function verifiedClient(
  tls: TLSModule,
  port: number,
  extra: nodeTLS.ConnectionOptions = {},
): Promise<nodeTLS.TLSSocket> {
  const sock = await connected(tls, {
    port,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: pki.pem.ca,
    ...extra,
  });
  if (sock instanceof Error) throw sock;
  return sock;
}

/** Connects and waits for the callback or an error; resolves with the socket or the error. */
function connected(tls: TLSModule, options: nodeTLS.ConnectionOptions): Promise<nodeTLS.TLSSocket | Error> {
  return within(
    10_000,
    'connect',
    new Promise((resolve) => {
      const sock = tls.connect(options, () => resolve(sock));
      sock.once('error', (err) => resolve(err));
    }),
  );
}

function readAll(sock: nodeTLS.TLSSocket): Promise<string> {
  return within(
    10_000,
    'read',
    new Promise((resolve, reject) => {
      let data = '';
      sock.setEncoding('utf8');
      sock.on('data', (chunk: string) => (data += chunk));
      sock.once('end', () => resolve(data));
      sock.once('error', reject);
    }),
  );
}

/** Ends the connection as well-behaved code does, and waits for it to close. */
function finish(sock: nodeTLS.TLSSocket): Promise<unknown> {
  const closed = new Promise((resolve) => sock.once('close', resolve));
  sock.resume();
  sock.end();
  return within(5000, 'close', closed);
}

describe.each(pairings)('%s server, %s client', (serverName, clientName) => {
  const server$ = () => modules[serverName] as TLSModule;
  const client$ = () => modules[clientName] as TLSModule;

  it('PEM key and cert, ca: verified, node:tls certificate fields, echo, end and close', async () => {
    let serverSide: { authorized: boolean; protocol: string | null; encrypted: unknown } | undefined;
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        serverSide = { authorized: s.authorized, protocol: s.getProtocol(), encrypted: s.encrypted };
        s.on('data', (d) => s.write(d));
        s.on('end', () => s.end());
      },
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port);
      expect(sock.authorized).toBe(true);
      expect(sock.authorizationError).toBeFalsy();
      expect(sock.encrypted).toBe(true);
      expect(sock.getProtocol()).toBe('TLSv1.3');
      expect(sock.getCipher()?.standardName).toMatch(/^TLS_/);
      const cert = sock.getPeerCertificate();
      const x509 = new X509Certificate(pki.pem['server-ec']!);
      expect(cert.subject.CN).toBe('localhost');
      expect(cert.issuer.CN).toBe('PEM Test CA');
      expect(cert.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(cert.fingerprint256).toBe(x509.fingerprint256);
      expect(cert.raw.equals(x509.raw)).toBe(true);
      expect(cert.valid_to).toBe(x509.validTo);
      expect(cert.serialNumber).toBe(x509.serialNumber);
      expect(sock.getPeerX509Certificate()?.raw.equals(x509.raw)).toBe(true);
      expect(nodeTLS.checkServerIdentity('localhost', cert)).toBeUndefined();
      expect(nodeTLS.checkServerIdentity('elsewhere.example', cert)).toBeInstanceOf(Error);
      const closed = new Promise((resolve) => sock.once('close', resolve));
      sock.end('ping');
      expect(await readAll(sock)).toBe('ping');
      await within(5000, 'close', closed);
      expect(serverSide).toEqual({ authorized: false, protocol: 'TLSv1.3', encrypted: true });
    });
  });

  it('a server certificate from a CA the client was not given is refused', async () => {
    const server = server$().createServer({ key: pki.pem['impostor.key'], cert: pki.pem.impostor }, (s) =>
      s.end(),
    );
    await serving(server, async (port) => {
      const result = await connected(client$(), {
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
      });
      expect(result).toBeInstanceOf(Error);
      // rejectUnauthorized: false lets it through, saying why
      const sock = await verifiedClient(client$(), port, { rejectUnauthorized: false });
      expect(sock.authorized).toBe(false);
      expect(typeof sock.authorizationError === 'string' || sock.authorizationError instanceof Error).toBe(
        true,
      );
      sock.destroy();
    });
  });

  it('a self-signed certificate given as ca is trusted as that peer only: its twin, another usage, another name and a leaf are not', async () => {
    const tryServer = async (name: string, client: nodeTLS.ConnectionOptions) => {
      const server = server$().createServer({ key: pki.pem[`${name}.key`], cert: pki.pem[name] }, (s) =>
        s.end('pinned'),
      );
      return serving(server, async (port) => {
        const sock = await connected(client$(), {
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ...client,
        });
        if (sock instanceof Error) return 'refused';
        return `${String(sock.authorized)} ${await readAll(sock)}`;
      });
    };
    const pinned = { ca: pki.pem['self-server'] };
    expect({
      pinned: await tryServer('self-server', pinned),
      version1: await tryServer('self-v1', { ca: pki.pem['self-v1'] }),
      beside: await tryServer('self-server', {
        ca: [pki.pem.ca as string, pki.pem['self-server'] as string],
      }),
      // the same name and extensions with another key: an attacker's certificate
      twin: await tryServer('self-server-twin', pinned),
      // a client's certificate (extendedKeyUsage clientAuth) sent by a server
      clientUsage: await tryServer('self-client', { ca: pki.pem['self-client'] }),
      otherName: await tryServer('self-server', { ...pinned, servername: 'other.example' }),
      // a leaf another CA issued, given alone: not trusted without its issuer (node:tls: no partial chains)
      leafAlone: await tryServer('server-ec', { ca: pki.pem['server-ec'] }),
    }).toEqual({
      pinned: 'true pinned',
      version1: 'true pinned',
      beside: 'true pinned',
      twin: 'refused',
      clientUsage: 'refused',
      otherName: 'refused',
      leafAlone: 'refused',
    });
    // a server pinning a client's self-signed certificate
    const seen: string[] = [];
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ca: pki.pem['self-client'],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (s) => {
        seen.push(`${String(s.authorized)} ${String(s.getPeerCertificate().subject?.CN)}`);
        s.end();
      },
    );
    await serving(server, async (port) => {
      for (const name of ['self-client', 'self-server']) {
        const sock = await verifiedClient(client$(), port, {
          key: pki.pem[`${name}.key`],
          cert: pki.pem[name],
        });
        await readAll(sock);
      }
    });
    expect(seen).toEqual(['true self-client', 'false localhost']);
  });

  it('client certificates: requestCert with rejectUnauthorized (default) requires one the server’s ca issued', async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], ca: pki.pem.ca, requestCert: true },
      (s) => {
        seen.push(`${String(s.authorized)} ${String(s.getPeerCertificate().subject?.CN)}`);
        s.end('welcome');
      },
    );
    server.on('tlsClientError', (err) => errors.push(err));
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      const good = await connected(client$(), { ...base, key: pki.pem['client.key'], cert: pki.pem.client });
      if (good instanceof Error) throw good;
      expect(await readAll(good)).toBe('welcome');
      // Without a certificate, or with one from another CA: refused (in TLS 1.3 the client may see the
      // handshake complete before the server's alert arrives).
      for (const extra of [{}, { key: pki.pem['other-client.key'], cert: pki.pem['other-client'] }]) {
        const bad = await connected(client$(), { ...base, ...extra });
        if (!(bad instanceof Error)) expect(await readAll(bad).catch(() => 'refused')).not.toBe('welcome');
      }
      await within(
        5000,
        'tlsClientError',
        (async () => {
          while (errors.length < 2) await new Promise((r) => setTimeout(r, 20));
        })(),
      );
      expect(seen).toEqual(['true pem-client']);
    });
  });

  it('requestCert with rejectUnauthorized: false: any client connects; authorized says whether it was verified', async () => {
    const seen: string[] = [];
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ca: pki.pem.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (s) => {
        seen.push(`${String(s.authorized)} ${String(s.getPeerCertificate().subject?.CN)}`);
        s.end('ok');
      },
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      for (const extra of [
        { key: pki.pem['client.key'], cert: pki.pem.client },
        { key: pki.pem['other-client.key'], cert: pki.pem['other-client'] },
        {},
      ]) {
        const sock = await connected(client$(), { ...base, ...extra });
        if (sock instanceof Error) throw sock;
        expect(await readAll(sock)).toBe('ok');
      }
      expect(seen).toEqual(['true pem-client', 'false other-client', 'false undefined']);
    });
  });

  it("SNI: a client's certificate is verified with the chosen context's ca, the default context's without SNI", async () => {
    const seen: string[] = [];
    const server = sniTrustServer(server$(), seen);
    await serving(server, async (port) => {
      for (const servername of ['tenant.test', 'noca.test', 'localhost']) {
        for (const client of ['client', 'other-client']) {
          const sock = await connected(client$(), {
            port,
            host: '127.0.0.1',
            servername,
            rejectUnauthorized: false,
            key: pki.pem[`${client}.key`],
            cert: pki.pem[client],
          });
          if (sock instanceof Error) throw sock;
          expect(await readAll(sock)).toBe('ok');
        }
      }
    });
    expect(seen).toEqual([
      'tenant.test true',
      'tenant.test false',
      'noca.test false',
      'noca.test false',
      'localhost false',
      'localhost true',
    ]);
  });

  it('SNI: the SNICallback chooses the context by name; the server sees the name', async () => {
    const tls = server$();
    // Certificates of one key type (OpenSSL keeps the default certificate over an SNI context's of another
    // type), told apart by their issuers.
    const contexts: Record<string, nodeTLS.SecureContext> = {
      'a.example': tls.createSecureContext({ key: pki.pem['impostor.key'], cert: pki.pem.impostor }),
      'b.example': tls.createSecureContext({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }),
    };
    const names: Array<string | false | undefined> = [];
    const server = tls.createServer(
      {
        key: pki.pem['server-int.key'],
        cert: pki.pem['server-int']! + pki.pem.int!,
        SNICallback: (name, cb) => cb(null, contexts[name]),
      },
      (s) => {
        names.push((s as nodeTLS.TLSSocket & { servername?: string | false }).servername);
        s.end();
      },
    );
    await serving(server, async (port) => {
      const issuers: string[] = [];
      for (const servername of ['a.example', 'b.example', 'c.example']) {
        const sock = await connected(client$(), {
          port,
          host: '127.0.0.1',
          servername,
          ca: pki.pem.ca,
          rejectUnauthorized: false,
        });
        if (sock instanceof Error) throw sock;
        issuers.push(String(sock.getPeerCertificate().issuer.CN));
        // the certificates name localhost, not these names
        expect(sock.authorized).toBe(false);
        await finish(sock);
      }
      expect(issuers).toEqual(['PEM Other CA', 'PEM Test CA', 'PEM Intermediate CA']);
      await waitWhile(5000, 'server', () => names.length < 3);
      expect(names).toEqual(['a.example', 'b.example', 'c.example']);
    });
  });

  it('SNI: a callback answering null serves the default; new Server(listener) takes the listener', async () => {
    // Both found by node's own tests against node-nss/tls (test-tls-sni-option, test-tls-connect-simple).
    const tls = server$() as TLSModule & {
      Server: new (listener: (s: nodeTLS.TLSSocket) => void) => nodeTLS.Server;
    };
    const server = tls.createServer(
      {
        key: pki.pem['server-int.key'],
        cert: pki.pem['server-int']! + pki.pem.int!,
        SNICallback: (_name, cb) => cb(null, null as unknown as nodeTLS.SecureContext),
      },
      (s) => s.end('default'),
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port);
      expect(sock.getPeerCertificate().issuer.CN).toBe('PEM Intermediate CA');
      expect(await readAll(sock)).toBe('default');
    });
    const Server = (serverName === 'node:tls' ? nodeTLS : nssTLS).Server as unknown as new (
      listener: (s: nodeTLS.TLSSocket) => void,
    ) => nodeTLS.Server;
    const bare = new Server((s) => s.end());
    expect(bare.listenerCount('secureConnection')).toBe(1);
    // With no certificate at all, a client is refused (both sides see an error), nothing crashes.
    const refused: string[] = [];
    bare.on('tlsClientError', () => refused.push('server'));
    const barePort = await listen(bare);
    try {
      const sock = await connected(client$(), { port: barePort, host: '127.0.0.1', servername: 'localhost' });
      expect(sock).toBeInstanceOf(Error);
      await waitWhile(5000, "the server's tlsClientError", () => refused.length === 0);
    } finally {
      await close(bare);
    }
    void tls;
  });

  it("net.connect's options: lookup, localAddress, path (a Unix socket), a socket connected afterwards", async () => {
    // All four were ignored or failed (found by node's own tests against node-nss/tls).
    const peers: string[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        peers.push(String(s.remoteAddress));
        s.end('hi');
      },
    );
    const port = await listen(server);
    const unix = path.join(tempDir('unix-'), 'tls.sock');
    const unixServer = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.end('over a Unix socket'),
    );
    await new Promise<void>((resolve) => unixServer.listen(unix, resolve));
    const common = { servername: 'localhost', ca: pki.pem.ca };
    const read = async (options: nodeTLS.ConnectionOptions) => {
      const sock = await connected(client$(), options);
      if (sock instanceof Error) throw sock;
      return readAll(sock);
    };
    try {
      const looked: string[] = [];
      // (net asks for every address, `all`, when it may try several: Node 20's autoSelectFamily)
      const lookup = ((hostname: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
        looked.push(hostname);
        if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
        else cb(null, '127.0.0.1', 4);
      }) as unknown as net.LookupFunction;
      expect(await read({ ...common, host: 'tls.example.invalid', port, lookup })).toBe('hi');
      expect(looked).toEqual(['tls.example.invalid']);
      expect(
        await read({
          ...common,
          host: '127.0.0.1',
          port,
          localAddress: '127.0.0.2',
        } as nodeTLS.ConnectionOptions),
      ).toBe('hi');
      expect(peers.at(-1)).toMatch(/127\.0\.0\.2$/);
      expect(await read({ ...common, path: unix } as nodeTLS.ConnectionOptions)).toBe('over a Unix socket');
      const byPath = await within(
        10_000,
        'connect(path, options)',
        new Promise<nodeTLS.TLSSocket>((resolve, reject) => {
          // tls.connect(path[, options][, callback]), documented by node, not in @types/node's overloads
          const connectPath = client$().connect as unknown as (
            path: string,
            options: nodeTLS.ConnectionOptions,
            callback: () => void,
          ) => nodeTLS.TLSSocket;
          const sock = connectPath(unix, common, () => resolve(sock));
          sock.once('error', reject);
        }),
      );
      expect(await readAll(byPath)).toBe('over a Unix socket');
      const raw = new net.Socket();
      const later = connected(client$(), { ...common, socket: raw });
      raw.connect(port, '127.0.0.1');
      const sock = await later;
      if (sock instanceof Error) throw sock;
      expect(await readAll(sock)).toBe('hi');
    } finally {
      await close(server);
      await close(unixServer);
    }
  });

  it('ALPN: the server’s preference among what the client offers, on both ends', async () => {
    const protocols: Array<string | false | null> = [];
    const serverProtocols: Array<string | false | null> = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], ALPNProtocols: ['h2', 'http/1.1'] },
      (s) => {
        serverProtocols.push(s.alpnProtocol);
        s.end();
      },
    );
    await serving(server, async (port) => {
      for (const offer of [['http/1.1'], ['http/1.1', 'h2']]) {
        const sock = await verifiedClient(client$(), port, { ALPNProtocols: offer });
        protocols.push(sock.alpnProtocol);
        await finish(sock);
      }
      expect(protocols).toEqual(['http/1.1', 'h2']);
      await waitWhile(5000, 'server', () => serverProtocols.length < 2);
      expect(serverProtocols).toEqual(['http/1.1', 'h2']);
      // None in common: the server refuses with no_application_protocol, and says so on its side too.
      const serverError = new Promise<Error & { code?: string }>((resolve) =>
        server.once('tlsClientError', resolve),
      );
      const refused = await connected(client$(), {
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
        ALPNProtocols: ['spdy/3'],
      });
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error & { code?: string }).code).toMatch(
        /NO_APPLICATION_PROTOCOL|NEXT_PROTOCOL_NO_PROTOCOL/,
      );
      expect((await within(5000, 'tlsClientError', serverError)).code).toMatch(
        /NO_APPLICATION_PROTOCOL|NEXT_PROTOCOL_NO_PROTOCOL/,
      );
    });
  });

  it('ALPN in the other forms node:tls takes: Buffers, and the wire form convertALPNProtocols makes', async () => {
    const wire: { ALPNProtocols?: Buffer } = {};
    (
      modules[clientName] as unknown as { convertALPNProtocols: typeof nssTLS.convertALPNProtocols }
    ).convertALPNProtocols(['spdy/3', 'http/1.1'], wire);
    expect(wire.ALPNProtocols).toEqual(Buffer.from('\x06spdy/3\x08http/1.1', 'latin1'));
    const seen: Array<string | false | null> = [];
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        // (node:tls takes no array of Buffers: its convertALPNProtocols writes each entry as a string)
        ALPNProtocols: Buffer.from('\x02h2\x08http/1.1', 'latin1') as unknown as string[],
      },
      (s) => {
        seen.push(s.alpnProtocol);
        s.end();
      },
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port, {
        ALPNProtocols: wire.ALPNProtocols as unknown as string[],
      });
      expect(sock.alpnProtocol).toBe('http/1.1');
      await finish(sock);
      await waitWhile(5000, 'server', () => seen.length < 1);
      expect(seen).toEqual(['http/1.1']);
    });
  });

  it('setSecureContext: new connections get the new certificate, an open one goes on, bad options change nothing', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        s.on('data', (d) => s.write(d));
        s.on('end', () => s.end());
      },
    );
    const port = await listen(server);
    const fingerprint = (name: string) => new X509Certificate(pki.pem[name]!).fingerprint256;
    const options = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
    const open: nodeTLS.TLSSocket[] = [];
    try {
      const first = await connected(client$(), options);
      if (first instanceof Error) throw first;
      open.push(first);
      expect(first.getPeerCertificate().fingerprint256).toBe(fingerprint('server-ec'));
      server.setSecureContext({ key: pki.pem['server-rsa.key'], cert: pki.pem['server-rsa'] });
      const second = await connected(client$(), options);
      if (second instanceof Error) throw second;
      open.push(second);
      expect(second.getPeerCertificate().fingerprint256).toBe(fingerprint('server-rsa'));
      // A key that is none: refused, and the server goes on with the context it had. (A key of another
      // certificate node:tls takes without a word, and then fails the handshakes; node-nss refuses it too.)
      expect(() => server.setSecureContext({ key: 'not a key', cert: pki.pem['server-rsa'] })).toThrow();
      const third = await connected(client$(), options);
      if (third instanceof Error) throw third;
      open.push(third);
      expect(third.getPeerCertificate().fingerprint256).toBe(fingerprint('server-rsa'));
      // The first connection, made before both, still echoes.
      first.write('still here');
      const closed = new Promise((resolve) => first.once('close', resolve));
      const echoed = readAll(first);
      first.end();
      expect(await echoed).toBe('still here');
      await within(5000, 'close', closed);
      await finish(second);
      await finish(third);
    } finally {
      for (const sock of open) sock.destroy();
      await close(server);
    }
  });

  it('ALPNCallback: chooses among the client’s protocols after SNI; undefined is an alert, a bad answer a reset', async () => {
    const asked: unknown[] = [];
    const serverSaw: Array<string | false | null> = [];
    const serverErrors: string[] = [];
    let answer: (arg: { servername: string; protocols: string[] }) => string | undefined = () => undefined;
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ALPNCallback: (arg) => {
          asked.push(arg);
          return answer(arg);
        },
      } as nodeTLS.TlsOptions,
      (s) => {
        serverSaw.push(s.alpnProtocol);
        s.end();
      },
    );
    server.on('tlsClientError', (err: Error & { code?: string }) =>
      serverErrors.push(`${err.code} ${err.message}`),
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', ca: pki.pem.ca, checkServerIdentity: () => undefined };
      const serverErrorCount = (n: number) =>
        waitWhile(5000, 'tlsClientError', () => serverErrors.length < n);
      const alert = /NO_APPLICATION_PROTOCOL|NEXT_PROTOCOL_NO_PROTOCOL/;
      // Chosen: both ends agree on it, in TLS 1.3 and 1.2; the callback saw the SNI name and the offer.
      for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
        answer = ({ protocols }) => protocols[1];
        const sock = await connected(client$(), {
          ...base,
          servername: 'localhost',
          maxVersion,
          ALPNProtocols: ['a', 'b'],
        });
        if (sock instanceof Error) throw sock;
        expect(sock.alpnProtocol).toBe('b');
        await finish(sock);
      }
      expect(asked).toEqual([
        { servername: 'localhost', protocols: ['a', 'b'] },
        { servername: 'localhost', protocols: ['a', 'b'] },
      ]);
      // No SNI: servername is false. No protocols offered: not asked, no protocol.
      answer = () => 'x';
      const noName = await connected(client$(), { ...base, ALPNProtocols: ['x'] });
      if (noName instanceof Error) throw noName;
      expect(noName.alpnProtocol).toBe('x');
      await finish(noName);
      const noOffer = await connected(client$(), { ...base, servername: 'localhost' });
      if (noOffer instanceof Error) throw noOffer;
      expect(noOffer.alpnProtocol).toBe(false);
      await finish(noOffer);
      expect(asked.slice(2)).toEqual([{ servername: false, protocols: ['x'] }]);
      await waitWhile(5000, 'server', () => serverSaw.length < 4);
      expect(serverSaw).toEqual(['b', 'b', 'x', false]);

      // undefined refuses every protocol offered: a no_application_protocol alert, at both ends.
      answer = () => undefined;
      const refused = await connected(client$(), { ...base, servername: 'localhost', ALPNProtocols: ['a'] });
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error & { code?: string }).code).toMatch(alert);
      await serverErrorCount(1);
      expect(serverErrors[0]).toMatch(alert);
      // A protocol the client did not offer, or a throwing callback: the connection ends without that alert.
      for (const bad of [
        () => 'c',
        () => {
          throw new Error('ALPN boom');
        },
      ]) {
        answer = bad;
        const result = await connected(client$(), {
          ...base,
          servername: 'localhost',
          ALPNProtocols: ['a', 'b'],
        });
        expect(result).toBeInstanceOf(Error);
        expect((result as Error & { code?: string }).code).not.toMatch(alert);
      }
      await serverErrorCount(3);
      expect(serverErrors[1]).toMatch(/ALPN_CALLBACK_INVALID_RESULT|NEXT_PROTOCOL_NO_PROTOCOL/);
      expect(serverErrors[1]).toMatch(/\(c\)|"c"/);
      expect(serverErrors[2]).toMatch(/ALPN boom/);
      expect(serverSaw).toHaveLength(4);
    });
    // Both options at once: node:tls's TypeError.
    expect(() =>
      server$().createServer({ ALPNCallback: () => 'a', ALPNProtocols: ['a'] } as nodeTLS.TlsOptions),
    ).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS' }));
  });

  it('highWaterMark: the client socket’s stream buffer sizes, with the bytes still all delivered', async () => {
    const payload = Buffer.alloc(200_000, 7);
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.end(payload),
    );
    await serving(server, async (port) => {
      for (const highWaterMark of [1024, 256 * 1024]) {
        const sock = await connected(client$(), {
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca: pki.pem.ca,
          highWaterMark,
        } as nodeTLS.ConnectionOptions);
        if (sock instanceof Error) throw sock;
        expect([sock.readableHighWaterMark, sock.writableHighWaterMark]).toEqual([
          highWaterMark,
          highWaterMark,
        ]);
        const chunks: Buffer[] = [];
        sock.on('data', (chunk: Buffer) => chunks.push(chunk));
        await within(10_000, 'end', new Promise((resolve) => sock.once('end', resolve)));
        expect(Buffer.concat(chunks).equals(payload)).toBe(true);
        await finish(sock);
      }
      // new TLSSocket(socket, { highWaterMark }) as well (node-nss/tls's only: node:tls's TLSSocket over a bare
      // socket, destroyed before a handshake, aborts Node 20.20 when the peer then closes — onread->IsFunction()
      // in stream_base.cc, seen in CI and then every run once the socket was connected first).
      if (clientName === 'node-nss/tls') {
        const tcp = net.connect(port, '127.0.0.1');
        await within(5000, 'tcp', new Promise((resolve) => tcp.once('connect', resolve)));
        const wrapped = new nssTLS.TLSSocket(tcp, { highWaterMark: 2048 });
        expect([wrapped.readableHighWaterMark, wrapped.writableHighWaterMark]).toEqual([2048, 2048]);
        wrapped.on('error', () => undefined);
        const closed = new Promise((resolve) => tcp.once('close', resolve));
        wrapped.destroy();
        await within(5000, 'close', closed);
      }
    });
  });

  it('a client’s secureContext is all its credentials: ca and key beside it are not read (null is none)', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.end('ok'),
    );
    await serving(server, async (port) => {
      const clientContext = client$().createSecureContext({ ca: pki.pem.ca });
      const base = { port, host: '127.0.0.1', servername: 'localhost' };
      // Beside a context, options that would fail on their own (another CA, a key that is no PEM) are unread.
      const sock = await connected(client$(), {
        ...base,
        secureContext: clientContext,
        ca: pki.pem['other-ca'],
        key: 'not a key',
      });
      if (sock instanceof Error) throw sock;
      expect(sock.authorized).toBe(true);
      expect(await readAll(sock)).toBe('ok');
      // And the context's trust is what counts: a context without the CA refuses, whatever ca says.
      const refused = await connected(client$(), {
        ...base,
        secureContext: client$().createSecureContext({ ca: pki.pem['other-ca'] }),
        ca: pki.pem.ca,
      });
      expect(refused).toBeInstanceOf(Error);
      // secureContext: null is no context: the options make one.
      const made = await connected(client$(), {
        ...base,
        secureContext: null as unknown as nodeTLS.SecureContext,
        ca: pki.pem.ca,
      });
      if (made instanceof Error) throw made;
      expect(made.authorized).toBe(true);
      await finish(made);
    });
  });

  it('node:tls’s loose forms: Server() without new, a null listener, session null, a string port, @SECLEVEL', async () => {
    const tls = server$() as unknown as typeof nodeTLS;
    const credentials = { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] };
    // (node:tls's Server is callable without new; its types say class, as node-nss/tls's)
    const callable = (
      tls.Server as unknown as (o: nodeTLS.TlsOptions, l: (s: nodeTLS.TLSSocket) => void) => nodeTLS.Server
    )(credentials, (s) => s.end('called'));
    expect(callable).toBeInstanceOf(tls.Server);
    const withNull = tls.createServer(credentials, null as never);
    expect(withNull).toBeInstanceOf(tls.Server);
    withNull.on('secureConnection', (s: nodeTLS.TLSSocket) => s.end('null listener'));
    const port = await listen(callable);
    const nullPort = await listen(withNull);
    try {
      const base = { host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      for (const extra of [
        { session: null },
        { session: false },
        { port: String(port) },
        { ciphers: 'DEFAULT@SECLEVEL=0' },
      ]) {
        const sock = await connected(client$(), { port, ...base, ...extra } as nodeTLS.ConnectionOptions);
        if (sock instanceof Error) throw sock;
        expect(await readAll(sock)).toBe('called');
      }
      const other = await connected(client$(), { port: nullPort, ...base });
      if (other instanceof Error) throw other;
      expect(await readAll(other)).toBe('null listener');
      // Port 0 is no argument error: the connection fails, as an 'error' event.
      let thrown: unknown;
      const failed = await within(
        5000,
        'port 0',
        new Promise<Error>((resolve) => {
          try {
            client$()
              .connect({ port: 0, ...base })
              .once('error', resolve);
          } catch (err) {
            thrown = err;
            resolve(err as Error);
          }
        }),
      );
      expect(thrown).toBeUndefined();
      expect(failed).toBeInstanceOf(Error);
    } finally {
      await close(callable);
      await close(withNull);
    }
  });

  it('null options are no value, and a minVersion below TLS 1.2 (TLSv1, TLSv1.1) negotiates up, as node:tls reads them', async () => {
    const nulls = { passphrase: null, sigalgs: null, ALPNProtocols: null, ciphers: null, maxVersion: null };
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ...nulls,
        sessionIdContext: null,
        minVersion: 'TLSv1',
      } as unknown as nodeTLS.TlsOptions,
      (s) => s.end(String(s.getProtocol())),
    );
    await serving(server, async (port) => {
      for (const minVersion of ['TLSv1', 'TLSv1.1', null]) {
        const sock = await verifiedClient(client$(), port, {
          ...nulls,
          minVersion,
        } as unknown as nodeTLS.ConnectionOptions);
        expect(await readAll(sock)).toBe('TLSv1.3');
      }
      const context = client$().createSecureContext({
        ...nulls,
        minVersion: 'TLSv1.1',
      } as unknown as nodeTLS.SecureContextOptions);
      expect(context).toBeTruthy();
    });
  });

  it('a first record that is no TLS fails at once (tlsClientError, connection closed), not at the timeout', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      () => {
        throw new Error('no handshake expected');
      },
    );
    await serving(server, async (port) => {
      for (const junk of [Buffer.alloc(1024, 0x2a), Buffer.from('blah\nblah\nblah\n')]) {
        const clientError = new Promise<Error>((resolve) => server.once('tlsClientError', resolve));
        const tcp = net.connect(port, '127.0.0.1', () => tcp.write(junk));
        tcp.on('error', () => undefined);
        tcp.resume();
        const closed = new Promise((resolve) => tcp.once('close', resolve));
        expect(await within(5000, 'tlsClientError', clientError)).toBeInstanceOf(Error);
        await within(5000, 'connection closed', closed);
      }
    });
  });

  it('a client’s renegotiate(): a new handshake on TLS 1.2, false and an error on TLS 1.3, the data flowing', async () => {
    // node-nss's clients renegotiated with an abbreviated handshake, which OpenSSL's servers answer and NSS
    // then refused (SSL_ERROR_RX_UNEXPECTED_CHANGE_CIPHER), and on TLS 1.3 said true and did a KeyUpdate.
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.on('data', (d: Buffer) => s.write(d)),
    );
    // node-nss servers refuse renegotiations clients start unless a limit allows some (node:tls's is 3).
    const nss = (server as { nssServer?: { renegotiationLimit: number } }).nssServer;
    if (nss !== undefined) nss.renegotiationLimit = 3;
    await serving(server, async (port) => {
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const sock = await verifiedClient(client$(), port, { maxVersion: version });
        const answer = new Promise<Error | null>((resolve) => {
          const returned = sock.renegotiate({}, (err) => resolve(err ?? null));
          expect(returned).toBe(version === 'TLSv1.2');
        });
        const err = await within(5000, 'renegotiate callback', answer);
        if (version === 'TLSv1.2') expect(err).toBeNull();
        else expect(err).toBeInstanceOf(Error);
        const echoed = new Promise<string>((resolve) => sock.once('data', (d: Buffer) => resolve(String(d))));
        sock.write('after');
        expect(await within(5000, 'echo', echoed)).toBe('after');
        sock.destroy();
      }
    });
  });

  it('renegotiate({ requestCert }) on a TLS 1.2 server asks the client for its certificate then', async () => {
    const seen: string[] = [];
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ca: pki.pem.ca,
        maxVersion: 'TLSv1.2',
        // OpenSSL resumes the session in a renegotiation (and asks for nothing) unless told not to; node-nss
        // makes it a full handshake whenever it asks for a certificate (this option only warns there).
        secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION,
      },
      (s) => {
        seen.push(`before ${String(s.authorized)} ${String(s.getPeerCertificate().subject?.CN)}`);
        s.renegotiate({ requestCert: true, rejectUnauthorized: false }, (err) => {
          seen.push(
            `after ${String(err)} ${String(s.authorized)} ${String(s.getPeerCertificate().subject?.CN)}`,
          );
          s.end('renegotiated');
          finished();
        });
      },
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port, {
        key: pki.pem['client.key'],
        cert: pki.pem.client,
      });
      expect(await readAll(sock)).toBe('renegotiated');
      await within(5000, 'renegotiation', done);
      expect(seen).toEqual(['before false undefined', 'after null true pem-client']);
    });
  });

  it('an SNICallback error reaches tlsClientError, with or without a certificate of the server’s own', async () => {
    for (const own of [{}, { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }]) {
      const server = server$().createServer({
        ...own,
        SNICallback: (_name: string, cb: (err: Error | null, ctx?: nodeTLS.SecureContext) => void) =>
          cb(new Error('no such tenant')),
      } as nodeTLS.TlsOptions);
      const serverError = new Promise<Error>((resolve) => server.once('tlsClientError', resolve));
      await serving(server, async (port) => {
        const result = await connected(client$(), {
          port,
          host: '127.0.0.1',
          servername: 'tenant.example',
          ca: pki.pem.ca,
        });
        expect(result).toBeInstanceOf(Error);
        expect((await within(5000, 'tlsClientError', serverError)).message).toMatch(/no such tenant/);
      });
    }
  });

  it('a client’s secureContext carries versions and suites: createSecureContext checks and keeps them', async () => {
    const tls = client$();
    expect(() => tls.createSecureContext({ ciphers: 1 as never })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => tls.createSecureContext({ minVersion: 'bogus' as never })).toThrow();
    expect(() => tls.createSecureContext({ ciphers: 'NO-SUCH-CIPHER' })).toThrow();
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.end(),
    );
    await serving(server, async (port) => {
      const secureContext = tls.createSecureContext({
        ca: pki.pem.ca,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
      });
      // connect's own maxVersion does not count beside a context, as in node:tls.
      const sock = await connected(tls, {
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        secureContext,
        maxVersion: 'TLSv1.3',
      });
      if (sock instanceof Error) throw sock;
      expect([sock.getProtocol(), sock.getCipher()?.name]).toEqual([
        'TLSv1.2',
        'ECDHE-ECDSA-AES256-GCM-SHA384',
      ]);
      await finish(sock);
    });
  });

  it('signal: aborting destroys the client with an AbortError, before or after it connects', async (ctx) => {
    // node:tls's own client is left out: in this process (after the tests above), aborting one from its
    // secureConnect callback aborted Node 20.20 itself a moment later (onread->IsFunction() in stream_base.cc);
    // node-nss/tls clients run against both servers, and the AbortError's shape is net.connect's.
    if (clientName === 'node:tls') ctx.skip();
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      () => {
        // (left open: the client aborts)
      },
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      for (const when of ['before', 'after'] as const) {
        const controller = new AbortController();
        if (when === 'before') controller.abort();
        const sock = client$().connect(
          { ...base, signal: controller.signal } as nodeTLS.ConnectionOptions,
          () => controller.abort(),
        );
        const err = await within(
          5000,
          `abort ${when}`,
          new Promise<Error & { code?: string }>((resolve) => sock.once('error', resolve)),
        );
        expect([err.name, err.code]).toEqual(['AbortError', 'ABORT_ERR']);
        await within(
          5000,
          'close',
          new Promise((resolve) => (sock.destroyed ? resolve(null) : sock.once('close', resolve))),
        );
        // A 'keylog' listener on the closed socket is no error (there is nothing left to log).
        expect(() => sock.on('keylog', () => undefined)).not.toThrow();
      }
    });
  });

  it('sessions: the session of one connection resumes the next', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        s.end('x');
      },
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      const first = client$().connect(base);
      const session = await within(
        10_000,
        'session',
        new Promise<Buffer>((resolve, reject) => {
          first.once('session', resolve);
          first.once('error', reject);
        }),
      );
      await readAll(first).catch(() => '');
      expect(first.isSessionReused()).toBe(false);
      const second = await connected(client$(), { ...base, session });
      if (second instanceof Error) throw second;
      expect(second.isSessionReused()).toBe(true);
      expect(second.authorized).toBe(true);
      second.destroy();
    });
  });

  it('sessions, TLS 1.2 and 1.3: the resumed connection is served (the server takes the session too)', async () => {
    const served: string[] = [];
    const serverErrors: string[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        served.push(s.isSessionReused() ? 'resumed' : 'full');
        s.end('x');
      },
    );
    server.on('tlsClientError', (err: Error) => serverErrors.push(err.message));
    await serving(server, async (port) => {
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        served.length = 0;
        const base = {
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca: pki.pem.ca,
          maxVersion: version,
        };
        const first = client$().connect(base);
        const sessions: Buffer[] = [];
        first.on('session', (s: Buffer) => sessions.push(s));
        expect(await readAll(first)).toBe('x');
        const session = sessions.at(-1) ?? first.getSession();
        // NSS's clients export TLS 1.2 sessions from tickets only, and node-nss servers send none (their
        // sessions would resume at any server of the process): that session stays in NSS's client cache,
        // where the next connection of the same policy finds it (it never resumed before).
        const noSession =
          version === 'TLSv1.2' && serverName === 'node-nss/tls' && clientName === 'node-nss/tls';
        expect(session === undefined).toBe(noSession);
        const second = client$().connect(session === undefined ? base : { ...base, session });
        expect(await readAll(second)).toBe('x');
        expect(second.isSessionReused()).toBe(true);
        expect(served).toEqual(['full', 'resumed']);
      }
      expect(serverErrors).toEqual([]);
    });
  });

  it("net.Socket's properties: pending, readyState, timeout, address, remoteFamily, bytes written and read", async () => {
    const serverSeen: string[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        s.on('data', (d: Buffer) => {
          s.write(Buffer.concat([d, d]));
          s.end();
        });
        s.on('end', () => serverSeen.push(`read ${s.bytesRead} wrote ${s.bytesWritten} ${s.readyState}`));
      },
    );
    await serving(server, async (port) => {
      const seen: string[] = [];
      const c = client$().connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca });
      const state = (when: string) =>
        seen.push(
          `${when}: pending ${c.pending} ${c.readyState} timeout ${c.timeout} wrote ${c.bytesWritten} read ${c.bytesRead}`,
        );
      state('connecting');
      expect(c.address()).toEqual({});
      c.setTimeout(5000);
      await within(
        10_000,
        'the exchange',
        new Promise<void>((resolve, reject) => {
          c.on('error', reject);
          c.on('secureConnect', () => {
            state('secure');
            expect(c.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
            expect(c.remoteFamily).toBe('IPv4');
            c.write('abcd');
            seen.push(`written: ${c.bytesWritten}, buffered ${c.bufferSize}`);
          });
          c.on('data', () => state('data'));
          c.on('end', () => {
            state('end');
            c.end();
          });
          c.on('close', () => {
            state('close');
            seen.push(`closed: buffered ${c.bufferSize}`);
            resolve();
          });
        }),
      );
      expect(seen).toEqual([
        'connecting: pending true opening timeout undefined wrote 0 read 0',
        'secure: pending false open timeout 5000 wrote 0 read 0',
        'written: 4, buffered 4',
        'data: pending false open timeout 5000 wrote 4 read 8',
        'end: pending false writeOnly timeout 5000 wrote 4 read 8',
        'close: pending true closed timeout 5000 wrote 4 read 8',
        // (net.Socket's has no value without a handle)
        'closed: buffered undefined',
      ]);
      await waitWhile(5000, 'the server', () => serverSeen.length === 0);
      expect(serverSeen).toEqual(['read 4 wrote 8 closed']);
    });
  });

  it('a socket given before it connects and destroyed without an error closes the TLS socket', async () => {
    const given = new net.Socket();
    const sock = client$().connect({ socket: given, servername: 'localhost' });
    const events: string[] = [];
    for (const event of ['error', 'end', 'secureConnect']) sock.on(event, () => events.push(event));
    const closed = new Promise((resolve) => sock.once('close', resolve));
    given.destroy();
    await within(5000, 'close', closed);
    expect(events).toEqual([]);
    expect(sock.destroyed).toBe(true);
  });

  it('destroy() in a write callback: what was written before it reaches the peer, callbacks called', async () => {
    // Node's test-tls-invoke-queued: the third write, queued behind the second, is taken before the second's
    // callback destroys the socket; node:tls has encrypted and sent it by then.
    const callbacks: string[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => {
        s.write('hello ', () => {
          callbacks.push('hello');
          s.write('world!', () => {
            callbacks.push('world');
            s.destroy();
          });
          s.write(' gosh', (err) => callbacks.push(err ? `gosh ${err.message}` : 'gosh'));
        });
      },
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port);
      expect(await readAll(sock)).toBe('hello world! gosh');
      await waitWhile(5000, 'the write callbacks', () => callbacks.length < 3);
      expect(callbacks).toEqual(['hello', 'world', 'gosh']);
      sock.destroy();
    });
  });

  it('setMaxSendFragment: the records the server sends carry at most that much; a size out of range is false', async () => {
    // TLS 1.2, where application data are the records of type 23 (TLS 1.3 hides the handshake's in them too).
    const data = Buffer.alloc(6000, 'x');
    let answers: unknown[] = [];
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], maxVersion: 'TLSv1.2' },
      (s) => {
        answers = [s.setMaxSendFragment(511), s.setMaxSendFragment(16385), s.setMaxSendFragment(1024)];
        try {
          s.setMaxSendFragment(1.5);
        } catch (err) {
          answers.push(err instanceof RangeError && (err as NodeJS.ErrnoException).code);
        }
        s.end(data);
      },
    );
    await serving(server, async (port) => {
      const tap = new RecordTap();
      const relay = net.createServer((down) => {
        const up = net.connect(port, '127.0.0.1');
        down.pipe(up);
        up.on('data', (chunk: Buffer) => {
          tap.feed(chunk);
          down.write(chunk);
        });
        up.on('end', () => down.end());
        up.on('error', () => down.destroy());
        down.on('error', () => up.destroy());
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      try {
        const sock = await verifiedClient(client$(), (relay.address() as AddressInfo).port);
        expect((await readAll(sock)).length).toBe(data.length);
        sock.destroy();
      } finally {
        relay.close();
      }
      expect(answers).toEqual([false, false, true, 'ERR_OUT_OF_RANGE']);
      const appData = tap.records.filter((r) => r.type === 23);
      // 1024 bytes of cleartext and an AEAD's overhead (an explicit nonce and a tag) each
      expect(appData.map((r) => r.length <= 1024 + 32)).toEqual(appData.map(() => true));
      expect(appData.length).toBe(Math.ceil(data.length / 1024));
    });
  });

  it("new TLSSocket(socket, { isServer: true }): the server's end of a connection a net.Server accepted", async () => {
    const tls = server$() as unknown as typeof nodeTLS;
    const events: string[] = [];
    const context = tls.createSecureContext({
      key: pki.pem['server-ec.key'],
      cert: pki.pem['server-ec'],
      ca: pki.pem.ca,
    });
    const plain = net.createServer((raw) => {
      const sock = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: context,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['smtp', 'h2'],
      });
      sock.on('secure', () => {
        events.push(`secure ${sock.getProtocol()} ${String(sock.alpnProtocol)} ${sock.authorized}`);
        events.push(`peer ${sock.getPeerCertificate().subject?.CN}`);
        sock.end('250 ok');
      });
      sock.on('secureConnect', () => events.push('secureConnect'));
      sock.on('error', (err) => events.push(`error ${err.message}`));
    });
    const port = await new Promise<number>((resolve) =>
      plain.listen(0, '127.0.0.1', () => resolve((plain.address() as AddressInfo).port)),
    );
    try {
      const client = client$().connect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
        key: pki.pem['client.key'],
        cert: pki.pem.client,
        ALPNProtocols: ['smtp'],
      });
      expect(await readAll(client)).toBe('250 ok');
      // node:tls decides `authorized` only for the sockets of a tls.Server (onServerSocketSecure): a bare
      // server-side TLSSocket says false whatever the certificate; node-nss says what its check found.
      const authorized = serverName === 'node-nss/tls';
      expect(events).toEqual([`secure TLSv1.3 smtp ${authorized}`, 'peer pem-client']);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('ciphers: OpenSSL names choose the TLS 1.2 suite; no suite in common fails', async () => {
    const server = server$().createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
      },
      (s) => s.end(),
    );
    await serving(server, async (port) => {
      const base = {
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
        maxVersion: 'TLSv1.2' as const,
      };
      const sock = await connected(client$(), { ...base, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      if (sock instanceof Error) throw sock;
      expect(sock.getCipher().standardName).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      expect(sock.getCipher().name).toBe('ECDHE-ECDSA-AES128-GCM-SHA256'); // OpenSSL's name, as node:tls
      expect(sock.getProtocol()).toBe('TLSv1.2');
      await finish(sock);
      expect(
        await connected(client$(), { ...base, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }),
      ).toBeInstanceOf(Error);
      expect(() =>
        client$()
          .connect({ ...base, ciphers: 'NO-SUCH-SUITE' })
          .destroy(),
      ).toThrow();
      // A name neither library implements is skipped when another matches: node:tls's own DEFAULT_CIPHERS
      // names DHE-RSA-AES256-SHA384, and code passes it along (it was a RangeError in node-nss/tls).
      const skipping = await connected(client$(), {
        ...base,
        ciphers: 'NO-SUCH-SUITE:ECDHE-ECDSA-AES256-GCM-SHA384',
      });
      if (skipping instanceof Error) throw skipping;
      expect(skipping.getCipher().name).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
      await finish(skipping);
      const nodeDefaults = await connected(client$(), { ...base, ciphers: nodeTLS.DEFAULT_CIPHERS });
      if (nodeDefaults instanceof Error) throw nodeDefaults;
      expect(nodeDefaults.getProtocol()).toBe('TLSv1.2');
      await finish(nodeDefaults);
    });
  });

  it('secureProtocol names the versions, as OpenSSL method names; unknown or conflicting is a TypeError', async () => {
    // It was ignored with a warning: TLSv1_2_method negotiated TLS 1.3.
    for (const tls of [client$(), server$()]) {
      for (const [options, code] of [
        [{ secureProtocol: 'Bogus_method' }, 'ERR_TLS_INVALID_PROTOCOL_METHOD'],
        [{ secureProtocol: 'SSLv3_method' }, 'ERR_TLS_INVALID_PROTOCOL_METHOD'],
        [{ secureProtocol: 'TLSv1_2_method', minVersion: 'TLSv1.2' }, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT'],
        [{ secureProtocol: 'TLS_method', maxVersion: 'TLSv1.3' }, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT'],
      ] as const) {
        expect(() => tls.createSecureContext(options as nodeTLS.SecureContextOptions)).toThrow(
          expect.objectContaining({ name: 'TypeError', code }),
        );
      }
    }
    const key = { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] };
    const only12 = server$().createServer({ ...key, secureProtocol: 'TLSv1_2_method' }, (s) => s.end());
    const any = server$().createServer({ ...key, secureProtocol: 'TLS_server_method' }, (s) => s.end());
    const base = { host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
    const protocolOf = async (port: number, options: nodeTLS.ConnectionOptions) => {
      const sock = await connected(client$(), { ...base, port, ...options });
      if (sock instanceof Error) throw sock;
      const protocol = sock.getProtocol();
      await finish(sock);
      return protocol;
    };
    await serving(only12, async (port12) => {
      await serving(any, async (port) => {
        expect(await protocolOf(port12, {})).toBe('TLSv1.2');
        expect(await protocolOf(port, {})).toBe('TLSv1.3');
        expect(await protocolOf(port, { secureProtocol: 'TLSv1_2_client_method' })).toBe('TLSv1.2');
        expect(await protocolOf(port, { secureProtocol: 'TLS_client_method' })).toBe('TLSv1.3');
        // OpenSSL's older name for it stops at TLS 1.2 in node:tls.
        expect(await protocolOf(port, { secureProtocol: 'SSLv23_method' })).toBe('TLSv1.2');
      });
    });
  });

  it('ecdhCurve and sigalgs: the group and the signature scheme both ends settle on', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], ecdhCurve: 'P-384' },
      (s) => s.end(),
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca };
      // The client offers its defaults; the server takes P-384 only (a HelloRetryRequest on TLS 1.3).
      const sock = await connected(client$(), base);
      if (sock instanceof Error) throw sock;
      expect(sock.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name: 'secp384r1' });
      await finish(sock);
      const named = await connected(client$(), { ...base, ecdhCurve: 'secp384r1:prime256v1' });
      if (named instanceof Error) throw named;
      expect(named.getEphemeralKeyInfo()).toMatchObject({ name: 'secp384r1' });
      await finish(named);
      // No group in common: no handshake.
      expect(await connected(client$(), { ...base, ecdhCurve: 'X25519' })).toBeInstanceOf(Error);
      // The server's key is P-256 ECDSA: a client that takes only P-384 signatures refuses it (or the server
      // finds no scheme to sign with), one that takes P-256 connects.
      expect(await connected(client$(), { ...base, sigalgs: 'ecdsa_secp384r1_sha384' })).toBeInstanceOf(
        Error,
      );
      const signed = await connected(client$(), {
        ...base,
        sigalgs: 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256',
      });
      if (signed instanceof Error) throw signed;
      await finish(signed);
      const legacy = await connected(client$(), { ...base, sigalgs: 'ECDSA+SHA256' });
      if (legacy instanceof Error) throw legacy;
      await finish(legacy);
    });
  });

  it('checkServerIdentity: the application’s check replaces the host-name step', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
      (s) => s.end(),
    );
    await serving(server, async (port) => {
      const base = { port, host: '127.0.0.1', ca: pki.pem.ca };
      const seen: string[] = [];
      // a name the certificate does not have, accepted by the application (pinning by fingerprint, say)
      const accepted = await connected(client$(), {
        ...base,
        servername: 'pinned.example',
        checkServerIdentity: (host, cert) => {
          seen.push(`${host} ${String(cert.subject.CN)}`);
          return undefined;
        },
      });
      if (accepted instanceof Error) throw accepted;
      expect(accepted.authorized).toBe(true);
      await finish(accepted);
      expect(seen).toEqual(['pinned.example localhost']);
      // a matching name refused by the application
      const refused = await connected(client$(), {
        ...base,
        servername: 'localhost',
        checkServerIdentity: () => new Error('not the pinned key'),
      });
      expect(refused).toBeInstanceOf(Error);
      const reason = refused as Error & { cause?: Error };
      expect(reason.message + String(reason.cause?.message)).toContain('not the pinned key');
    });
  });

  it('a chain: detailed getPeerCertificate links the certificate to its issuer', async () => {
    const server = server$().createServer(
      { key: pki.pem['server-int.key'], cert: pki.pem['server-int']! + pki.pem.int! },
      (s) => s.end(),
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port);
      const leaf = sock.getPeerCertificate(true);
      expect(leaf.subject.CN).toBe('localhost');
      expect(leaf.issuerCertificate.subject.CN).toBe('PEM Intermediate CA');
      // The walk node:tls code does ends at the root from `ca`, its own issuer (found by node's own tests
      // against node-nss/tls: the chain stopped at what the server sent, and the walk crashed).
      const walk: string[] = [];
      for (let c = leaf; walk.length < 5; c = c.issuerCertificate) {
        walk.push(String(c.subject.CN));
        if (c === c.issuerCertificate) break;
      }
      expect(walk).toEqual(['localhost', 'PEM Intermediate CA', 'PEM Test CA']);
      // getPeerX509Certificate links the same way (node:tls's X509Certificate has issuerCertificate).
      const x509 = sock.getPeerX509Certificate();
      expect(x509?.issuerCertificate).toBeInstanceOf(X509Certificate);
      expect(x509?.issuerCertificate?.subject).toBe('CN=PEM Intermediate CA');
      sock.destroy();
    });
  });

  it('pfx: the server and the client each from a PKCS #12 file; the chain reaches the client', async () => {
    const server = server$().createServer(
      {
        pfx: readFileSync(pki.file('server-int.p12')),
        passphrase: PFX_PASSPHRASE,
        ca: pki.pem.ca,
        requestCert: true,
      },
      (s) => s.end(`client ${String(s.getPeerCertificate().subject.CN)} ${String(s.authorized)}`),
    );
    await serving(server, async (port) => {
      const sock = await verifiedClient(client$(), port, {
        pfx: [{ buf: readFileSync(pki.file('client.3des.p12')), passphrase: PFX_PASSPHRASE }],
      });
      expect(sock.authorized).toBe(true);
      expect(sock.getPeerCertificate(true).issuerCertificate.subject.CN).toBe('PEM Intermediate CA');
      expect(await readAll(sock)).toBe('client pem-client true');
    });
  });
});

describe('node-nss/tls beyond the pairings', () => {
  // node:tls itself resumes such a session and reports the client authorized (measured: 'localhost true');
  // NSS refuses a ticket offered for another name than the one it was made for, so the handshake fails.
  it("SNI: a session made under one context's ca never authorizes the client under another name", async () => {
    const seen: string[] = [];
    const server = sniTrustServer(nssTLS as unknown as TLSModule, seen);
    await serving(server, async (port) => {
      const base = {
        port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        key: pki.pem['client.key'],
        cert: pki.pem.client,
      };
      const first = await connected(nodeTLS, { ...base, servername: 'tenant.test' });
      if (first instanceof Error) throw first;
      const session = await new Promise<Buffer>((resolve) => {
        const had = first.getSession();
        if (had && first.getProtocol() !== 'TLSv1.3') resolve(had);
        else first.once('session', resolve);
      });
      expect(await readAll(first)).toBe('ok');
      // The same session offered for the default context's name: that context's ca does not know the client.
      const second = await connected(nodeTLS, { ...base, servername: 'localhost', session });
      if (!(second instanceof Error)) expect(await readAll(second)).toBe('ok');
    });
    expect(seen[0]).toBe('tenant.test true');
    expect(seen.slice(1)).not.toContain('localhost true');
  });

  it('TLS 1.2 sessions without a ticket, kept in NSS’s cache, resume only for the same trust and policy', async () => {
    // An attacker's order: an unverified connection first, then verifying ones and ones of other trust.
    const server = nssTLS.createServer(
      { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], maxVersion: 'TLSv1.2' },
      (s) => s.end('x'),
    );
    await serving(server as unknown as nodeTLS.Server, async (port) => {
      const base = { port, host: '127.0.0.1', servername: 'localhost', maxVersion: 'TLSv1.2' as const };
      const reused = async (options: nodeTLS.ConnectionOptions) => {
        const sock = (nssTLS as unknown as TLSModule).connect({ ...base, ...options });
        expect(await readAll(sock)).toBe('x');
        return `${sock.isSessionReused()} ${sock.authorized}`;
      };
      expect(await reused({ rejectUnauthorized: false })).toBe('false false');
      expect(await reused({ rejectUnauthorized: false })).toBe('true false');
      expect(await reused({ ca: pki.pem.ca })).toBe('false true');
      expect(await reused({ ca: pki.pem.ca })).toBe('true true');
      const twoCAs = [pki.pem['other-ca'], pki.pem.ca] as string[];
      expect(await reused({ ca: twoCAs })).toBe('false true');
      expect(await reused({ ca: twoCAs })).toBe('true true');
    });
  });

  it('a self-signed certificate given as ca is trusted with revocation checking too (it has no issuer to ask)', async () => {
    const outcome = async (name: string, options: nodeTLS.ConnectionOptions & { revocation?: string }) => {
      const server = nodeTLS.createServer({ key: pki.pem[`${name}.key`], cert: pki.pem[name] }, (s) =>
        s.end(),
      );
      return serving(server, async (port) => {
        const sock = await connected(nssTLS as unknown as TLSModule, {
          port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca: pki.pem['self-server'],
          ...options,
        });
        if (sock instanceof Error) return (sock as Error & { code?: string }).code;
        sock.destroy();
        return String(sock.authorized);
      });
    };
    const results: Record<string, unknown> = {};
    for (const revocation of ['soft', 'hard'] as const) {
      results[`${revocation} pinned`] = await outcome('self-server', {
        revocation,
      });
      results[`${revocation} twin`] = await outcome('self-server-twin', {
        revocation,
      });
      results[`${revocation} other name`] = await outcome('self-server', {
        revocation,
        servername: 'other.example',
      });
    }
    expect(results).toEqual({
      'soft pinned': 'true',
      'soft twin': 'SEC_ERROR_UNKNOWN_ISSUER',
      'soft other name': 'SSL_ERROR_BAD_CERT_DOMAIN',
      'hard pinned': 'true',
      'hard twin': 'SEC_ERROR_UNKNOWN_ISSUER',
      'hard other name': 'SSL_ERROR_BAD_CERT_DOMAIN',
    });
  });

  it('setSecureContext keeps the server’s listeners and settings; a key of another certificate is refused; ticket keys are NSS’s', async () => {
    const server = nssTLS.createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (s) => s.end(`${s.authorized}`),
    );
    const keylogs: string[] = [];
    server.on('keylog', (line) => keylogs.push(line.toString('latin1').split(' ')[0]!));
    const port = await listen(server as unknown as nodeTLS.Server);
    try {
      server.setSecureContext({
        key: pki.pem['server-rsa.key'],
        cert: pki.pem['server-rsa'],
        ca: pki.pem.ca,
      });
      const client = nodeTLS.connect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
        key: pki.pem['client.key'],
        cert: pki.pem.client,
      });
      // requestCert stayed, and the new `ca` verifies the client; the keylog listener hears the new model.
      expect(await readAll(client)).toBe('true');
      expect(client.getPeerX509Certificate()?.fingerprint256).toBe(
        new X509Certificate(pki.pem['server-rsa']!).fingerprint256,
      );
      expect(keylogs).toContain('SERVER_TRAFFIC_SECRET_0');
      expect(() =>
        server.setSecureContext({ key: pki.pem['server-ec.key'], cert: pki.pem['server-rsa'] }),
      ).toThrow(RangeError);
      expect(() => server.getTicketKeys()).toThrow(expect.objectContaining({ code: 'NODE_NSS_UNSUPPORTED' }));
      expect(() => server.setTicketKeys(Buffer.alloc(47))).toThrow(RangeError);
      expect(() => server.setTicketKeys('keys' as unknown as Buffer)).toThrow(TypeError);
    } finally {
      await close(server as unknown as nodeTLS.Server);
    }
  });

  it('new TLSSocket(socket, { isServer: true, server }): an accepted socket of that server, its events included', async () => {
    const server = nssTLS.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] });
    const serverEvents: string[] = [];
    server.on('secureConnection', (s) => serverEvents.push(`secureConnection ${s.getProtocol()}`));
    const plain = net.createServer((raw) => {
      const sock = new nssTLS.TLSSocket(raw, { isServer: true, server });
      sock.on('secure', () => sock.end('hi'));
    });
    const port = await new Promise<number>((resolve) =>
      plain.listen(0, '127.0.0.1', () => resolve((plain.address() as AddressInfo).port)),
    );
    try {
      const client = nodeTLS.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca });
      expect(await readAll(client)).toBe('hi');
      expect(serverEvents).toEqual(['secureConnection TLSv1.3']);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('new TLSSocket(socket, options) as a client: the handshake starts at once (node:tls waits for tls.connect)', async () => {
    const server = nodeTLS.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end('hello'),
    );
    await serving(server, async (port) => {
      const tcp = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => tcp.once('connect', resolve));
      const sock = new nssTLS.TLSSocket(tcp, { servername: 'localhost', ca: pki.pem.ca });
      const secured = new Promise<boolean>((resolve) =>
        sock.once('secureConnect', () => resolve(sock.authorized)),
      );
      expect(await readAll(sock as unknown as nodeTLS.TLSSocket)).toBe('hello');
      expect(await secured).toBe(true);
      // And without the CA, NSS's reason.
      const tcp2 = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => tcp2.once('connect', resolve));
      const refused = new nssTLS.TLSSocket(tcp2, { servername: 'localhost' });
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
      // (UNTRUSTED once the CA is known to NSS as a temporary certificate of an earlier socket's `ca`.)
      expect(err.code).toMatch(/^SEC_ERROR_UN(KNOWN|TRUSTED)_ISSUER$/);
    });
  });

  it('new TLSSocket(socket, options): wrong options are TypeErrors naming them', () => {
    const tcp = new net.Socket();
    expect(() => new nssTLS.TLSSocket(tcp, null as never)).toThrow(/options/);
    expect(() => new nssTLS.TLSSocket(tcp, { isServer: true, ALPNProtocols: 'h2' as never })).toThrow(
      TypeError,
    );
    tcp.destroy();
  });
  it('an SNI answer NSS refuses fails that handshake only; the server goes on serving', async () => {
    // An EC certificate whose key usage is key agreement alone: NSS's SSL_ConfigServerCert refuses it. Of
    // another key type than the RSA default, it is configured before NSS reads the ClientHello: that step
    // threw into a Promise nobody handled, which ends the process (found in review).
    const dir = tempDir('sni-bad-');
    const run = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    const made = run([
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
      ...[
        '-subj',
        '/CN=localhost',
        '-addext',
        'keyUsage=critical,keyAgreement',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
      ],
    ]);
    expect(made.status, made.stderr).toBe(0);
    const refused = nssTLS.createSecureContext({
      key: readFileSync(path.join(dir, 'k.pem')),
      cert: readFileSync(path.join(dir, 'c.pem')),
    });
    const errors: string[] = [];
    const server = nssTLS.createServer(
      {
        key: pki.pem['server-rsa.key'],
        cert: pki.pem['server-rsa'],
        SNICallback: (name, cb) => cb(null, name === 'bad.example' ? refused : undefined),
      },
      (s) => s.end('served'),
    );
    server.on('tlsClientError', (err: Error) => errors.push(err.message));
    const port = await listen(server as unknown as nodeTLS.Server);
    try {
      const bad = await connected(nodeTLS, {
        port,
        host: '127.0.0.1',
        servername: 'bad.example',
        ca: pki.pem.ca,
      });
      expect(bad).toBeInstanceOf(Error);
      const good = await verifiedClient(nodeTLS, port);
      expect(await readAll(good)).toBe('served');
      expect(errors.join('\n')).toMatch(/SNI callback failed/);
    } finally {
      await close(server as unknown as nodeTLS.Server);
    }
  });

  it('a TLS socket destroyed before its given socket connected takes the connection with it', async () => {
    // node's test-tls-connect-given-socket: the connection outlived the TLS socket and the server never closed.
    const server = nodeTLS.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end(),
    );
    server.on('tlsClientError', () => undefined);
    await serving(server, async (port) => {
      const orphan = new net.Socket();
      orphan.on('error', () => undefined);
      const abandoned = nssTLS.connect({ socket: orphan, servername: 'localhost', ca: pki.pem.ca });
      abandoned.on('error', () => undefined);
      abandoned.destroy();
      orphan.connect(port, '127.0.0.1');
      await within(5000, "the abandoned socket's 'close'", new Promise((r) => orphan.once('close', r)));
    });
  });

  it('DEFAULT_MAX_VERSION and DEFAULT_CIPHERS assigned, as node:tls code does, apply to connections made after', async () => {
    // DEFAULT_MAX_VERSION was a constant nothing read, DEFAULT_CIPHERS missing (found by node's own tests: the
    // TLS 1.2 variants ran TLS 1.3).
    const load = createRequire(__filename);
    const modules = { node: load('node:tls') as typeof nodeTLS, nss: load('node-nss/tls') as typeof nodeTLS };
    // node-nss's default list names suites OpenSSL knows by those names, and node-nss takes it back.
    expect(() => nodeTLS.createSecureContext({ ciphers: modules.nss.DEFAULT_CIPHERS })).not.toThrow();
    expect(() => nssTLS.createSecureContext({ ciphers: modules.nss.DEFAULT_CIPHERS } as never)).not.toThrow();
    expect(modules.nss.DEFAULT_CIPHERS).toMatch(/^TLS_AES_128_GCM_SHA256:.*ECDHE-ECDSA-AES128-GCM-SHA256/);
    const server = nodeTLS.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end(),
    );
    const outcomes: Record<string, [string | null, string | undefined]> = {};
    await serving(server, async (port) => {
      for (const [name, tls] of Object.entries(modules)) {
        const before = [tls.DEFAULT_MAX_VERSION, tls.DEFAULT_CIPHERS] as const;
        tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
        (tls as { DEFAULT_CIPHERS: string }).DEFAULT_CIPHERS = 'ECDHE-ECDSA-CHACHA20-POLY1305';
        try {
          const sock = await verifiedClient(tls, port);
          outcomes[name] = [sock.getProtocol(), sock.getCipher()?.name];
          sock.destroy();
        } finally {
          tls.DEFAULT_MAX_VERSION = before[0];
          (tls as { DEFAULT_CIPHERS: string }).DEFAULT_CIPHERS = before[1];
        }
      }
    });
    const expected: [string, string] = ['TLSv1.2', 'ECDHE-ECDSA-CHACHA20-POLY1305'];
    expect(outcomes).toEqual({ node: expected, nss: expected });
  });

  it('SNI: an answer of another key type than the default is served, in TLS 1.2 and 1.3, to both clients', async () => {
    // NSS keeps one certificate per key type: before the fix the RSA default stayed beside an EC answer and
    // TLS 1.3 served it (configured first), and TLS 1.2 chose its suite before the SNI hook ran. node:tls is
    // no reference here: OpenSSL keeps both too, and served the default in half of these cases (measured:
    // RSA default and EC answer over TLS 1.2, EC default and RSA answer over TLS 1.3).
    const rsa = { key: pki.pem['server-rsa.key'], cert: pki.pem['server-rsa'] };
    const ec = { key: pki.pem['server-int.key'], cert: pki.pem['server-int']! + pki.pem.int! };
    const served: string[] = [];
    for (const [byDefault, answer, label] of [
      [rsa, ec, 'EC'],
      [ec, rsa, 'RSA'],
    ] as const) {
      const context = nssTLS.createSecureContext(answer);
      const server = nssTLS.createServer(
        { ...byDefault, SNICallback: (_name, cb) => cb(null, context) },
        (s) => s.end(),
      );
      const port = await listen(server as unknown as nodeTLS.Server);
      try {
        for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
          for (const client of ['node:tls', 'node-nss/tls']) {
            const sock = await connected(modules[client]!, {
              port,
              host: '127.0.0.1',
              servername: 'localhost',
              ca: pki.pem.ca,
              minVersion: version,
              maxVersion: version,
            });
            if (sock instanceof Error) throw sock;
            expect(sock.authorized).toBe(true);
            const type = sock.getPeerCertificate().asn1Curve !== undefined ? 'EC' : 'RSA';
            served.push(`${label} answer, ${version}, ${client}: ${type}`);
            await finish(sock);
          }
        }
      } finally {
        await close(server as unknown as nodeTLS.Server);
      }
    }
    expect(served).toEqual(
      served.map((line) => line.replace(/: .*$/, `: ${line.startsWith('EC') ? 'EC' : 'RSA'}`)),
    );
    expect(served).toHaveLength(8);
  });

  it('refuses ecdhCurve and sigalgs names NSS does not implement, naming the option', () => {
    expect(() => nssTLS.connect({ port: 1, ecdhCurve: 'X448' })).toThrow(/opts\.ecdhCurve.*X448/);
    expect(() => nssTLS.connect({ port: 1, ecdhCurve: 42 as never })).toThrow(TypeError);
    expect(() => nssTLS.connect({ port: 1, sigalgs: 'rsa_pss_rsae_sha257' })).toThrow(/opts\.sigalgs/);
    expect(() =>
      nssTLS.createServer({
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        ecdhCurve: 'brainpoolP256r1',
      }),
    ).toThrow(RangeError);
  });

  it('rootCertificates are Mozilla’s roots as NSS loaded them, PEM strings like node:tls’s', () => {
    const roots = nssTLS.rootCertificates;
    expect(Array.isArray(roots)).toBe(true);
    expect(roots.length).toBeGreaterThan(100);
    expect(roots.every((pem) => pem.startsWith('-----BEGIN CERTIFICATE-----'))).toBe(true);
    // Mozilla's store is node's too: most of NSS's roots are in node's list.
    const nodeRoots = new Set(nodeTLS.rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
    const shared = roots.filter((pem) => nodeRoots.has(new X509Certificate(pem).fingerprint256));
    expect(shared.length / roots.length).toBeGreaterThan(0.6);
  });

  it('connect takes node:tls’s argument forms and returns the socket at once', async () => {
    const server = nssTLS.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end('hi'),
    );
    const port = await listen(server as unknown as nodeTLS.Server);
    try {
      for (const make of [
        () => nssTLS.connect(port, '127.0.0.1', { servername: 'localhost', ca: pki.pem.ca }),
        () => nssTLS.connect(port, { host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca }),
        () => nssTLS.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca }),
      ]) {
        const sock = make();
        expect(sock).toBeInstanceOf(nssTLS.TLSSocket);
        expect(await readAll(sock as unknown as nodeTLS.TLSSocket)).toBe('hi');
      }
      expect(() => nssTLS.connect({ port, host: '127.0.0.1' }, 42 as unknown as () => void)).toThrow(
        TypeError,
      );
    } finally {
      await close(server as unknown as nodeTLS.Server);
    }
  });

  it('node:tls options with no NSS mapping yet are not ignored silently: one warning per option', async () => {
    const warnings: Array<{ message: string; code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push({ message: w.message, code: w.code });
    process.on('warning', onWarning);
    try {
      const server = nssTLS.createServer({
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        dhparam: 'x',
        honorCipherOrder: true,
      } as nssTLS.TlsOptions);
      nssTLS.createServer({
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        dhparam: 'y',
      } as nssTLS.TlsOptions);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.code === 'NODE_NSS_UNSUPPORTED_OPTION').map((w) => w.message)).toEqual([
        'node-nss/tls does not support the "dhparam" option yet; it is ignored',
        'node-nss/tls does not support the "honorCipherOrder" option yet; it is ignored',
      ]);
      server.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
  it('a skipped cipher name is not skipped silently: one NODE_NSS_UNSUPPORTED_CIPHER warning per name', async () => {
    const warnings: Array<{ message: string; code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push({ message: w.message, code: w.code });
    process.on('warning', onWarning);
    try {
      nssTLS.createSecureContext({ ciphers: 'NOT-A-SUITE-1:ECDHE-ECDSA-AES128-GCM-SHA256:NOT-A-SUITE-2' });
      nssTLS.createSecureContext({ ciphers: 'HIGH:NOT-A-SUITE-1' });
      expect(() => nssTLS.createSecureContext({ ciphers: 'NOT-A-SUITE-3' })).toThrow(
        expect.objectContaining({ name: 'RangeError', message: expect.stringContaining('NOT-A-SUITE-3') }),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.code === 'NODE_NSS_UNSUPPORTED_CIPHER').map((w) => w.message)).toEqual([
        'NSS does not implement cipher suite NOT-A-SUITE-1; it is skipped',
        'NSS does not implement cipher suite NOT-A-SUITE-2; it is skipped',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('node-nss/tls as the first use of NSS', () => {
  it('new TLSSocket() initialises NSS itself, as connect and createServer do', () => {
    // A fresh process: nothing has initialised NSS before the constructor runs.
    const script = [
      "const tls = require('node-nss/tls');",
      'const sock = new tls.TLSSocket();',
      'console.log(typeof sock.getProtocol, sock.encrypted);',
      'sock.destroy();',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function true');
    expect(r.status).toBe(0);
  });
});

// Node's environment variables and command-line options are read once, when a process starts: each case runs
// the same script in a child process, its `tls` node:tls and then node-nss/tls, and compares what they saw.
describe("node's NODE_EXTRA_CA_CERTS and --tls-* options, in a child process with either module", () => {
  /** Runs `body` (an async function of tls, pem, serve, probe) in a child, `module` its tls; resolves with its answer. */
  async function inChild(
    module: string,
    body: string,
    opts: { env?: Record<string, string>; args?: string[] } = {},
  ): Promise<unknown> {
    const script = `
      const tls = require(process.env.TLS_MODULE);
      const fs = require('node:fs');
      const pem = (name) => fs.readFileSync(require('node:path').join(process.env.PKI, name));
      const serve = (options, listener = (c) => c.end()) => new Promise((resolve) => {
        const server = tls.createServer(options, listener);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
      const probe = (server, options = {}) => new Promise((resolve) => {
        const c = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
          rejectUnauthorized: false, ...options }, () => {
          const seen = { authorized: c.authorized, protocol: c.getProtocol(), cipher: c.getCipher().name };
          // until the server ends: in TLS 1.3 it reads the client's certificate after the client's callback
          c.resume();
          c.on('close', () => resolve(seen));
        });
        c.on('error', (err) => resolve({ error: true }));
      });
      // No process.exit(): the child ends when all is closed, after node's key log stream has been written.
      (${body})(tls, pem, serve, probe).then((result) => process.stdout.write(JSON.stringify(result)));`;
    const { NODE_EXTRA_CA_CERTS: _extra, NODE_OPTIONS: _options, ...env } = process.env;
    const r = await nodeScript(script, {
      args: opts.args,
      env: { ...(env as Record<string, string>), TLS_MODULE: module, PKI: pki.dir, ...opts.env },
      ms: 20_000,
    });
    // node's own warnings: of a file it cannot read, and that a key log makes connections insecure
    expect(
      r.stderr.replace(
        /.*Warning: (Ignoring extra certs|Using --tls-keylog).*\n?|\(Use `node --trace-warnings.*\n?/g,
        '',
      ),
    ).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  }
  const both = ['node:tls', 'node-nss/tls'];

  const trustCases = `async (tls, pem, serve, probe) => {
    const good = await serve({ key: pem('server-ec.key'), cert: pem('server-ec.crt') });
    const impostor = await serve({ key: pem('impostor.key'), cert: pem('impostor.crt') });
    let clientSeen;
    const asking = await serve(
      { key: pem('server-ec.key'), cert: pem('server-ec.crt'), requestCert: true, rejectUnauthorized: false },
      (c) => { clientSeen = c.authorized; c.end(); },
    );
    const result = {
      extra: (await probe(good)).authorized,
      untrusted: (await probe(impostor)).authorized,
      caReplacesThem: (await probe(good, { ca: pem('other-ca.crt') })).authorized,
      caOfItsOwn: (await probe(impostor, { ca: pem('other-ca.crt') })).authorized,
    };
    await probe(asking, { key: pem('client.key'), cert: pem('client.crt') });
    while (clientSeen === undefined) await new Promise((r) => setTimeout(r, 10));
    result.serverVerifiesClient = clientSeen;
    for (const s of [good, impostor, asking]) s.close();
    return result;
  }`;

  it('NODE_EXTRA_CA_CERTS: trusted beside the default roots where no ca is given, by clients and servers', async () => {
    const extra = { NODE_EXTRA_CA_CERTS: pki.file('ca.crt') };
    for (const module of both) {
      expect({ module, seen: await inChild(module, trustCases, { env: extra }) }).toEqual({
        module,
        seen: {
          extra: true,
          untrusted: false,
          caReplacesThem: false,
          caOfItsOwn: true,
          serverVerifiesClient: true,
        },
      });
      // Without it, the same CA is nobody's.
      expect({ module, seen: await inChild(module, trustCases) }).toEqual({
        module,
        seen: {
          extra: false,
          untrusted: false,
          caReplacesThem: false,
          caOfItsOwn: true,
          serverVerifiesClient: false,
        },
      });
      // A file that is not there: node warns at startup, and the default trust stays.
      const missing = { NODE_EXTRA_CA_CERTS: path.join(pki.dir, 'missing.crt') };
      expect(await inChild(module, trustCases, { env: missing })).toMatchObject({
        extra: false,
        caOfItsOwn: true,
      });
    }
  });

  it("NODE_EXTRA_CA_CERTS keeps the database's trust: a database's CA and the file's both verify (node-nss)", async () => {
    const { dir, db } = emptyDB();
    runOk('certutil', ['-A', '-d', db, '-n', 'other-ca', '-t', 'C,,', '-i', pki.file('other-ca.crt')]);
    const body = `async (tls, pem, serve, probe) => {
      require('node-nss').init({ dbDir: ${JSON.stringify(dir)}, loadBuiltinRoots: false });
      const good = await serve({ key: pem('server-ec.key'), cert: pem('server-ec.crt') });
      const impostor = await serve({ key: pem('impostor.key'), cert: pem('impostor.crt') });
      const result = { file: (await probe(good)).authorized, database: (await probe(impostor)).authorized };
      good.close(); impostor.close();
      return result;
    }`;
    const extra = { NODE_EXTRA_CA_CERTS: pki.file('ca.crt') };
    expect(await inChild('node-nss/tls', body, { env: extra })).toEqual({ file: true, database: true });
    expect(await inChild('node-nss/tls', body)).toEqual({ file: false, database: true });
  });

  it('--tls-max-v1.2, --tls-min-v1.3 (in NODE_OPTIONS too) and --tls-cipher-list set the defaults', async () => {
    // A TLS 1.2 server of this process's: one of the child's, under --tls-min-v1.3, could not be made by node-nss.
    const old = nodeTLS.createServer(
      {
        key: pki.pem['server-ec.key'],
        cert: pki.pem['server-ec'],
        maxVersion: 'TLSv1.2',
      },
      (c) => c.end(),
    );
    const oldPort = await listen(old);
    const body = `async (tls, pem, serve, probe) => {
      const server = await serve({ key: pem('server-ec.key'), cert: pem('server-ec.crt') });
      const seen = await probe(server);
      const old = { address: () => ({ port: ${oldPort} }) };
      seen.toTLS12Server = (await probe(old, { maxVersion: 'TLSv1.3' })).protocol ?? 'failed';
      server.close();
      return seen;
    }`;
    onTestFinished(() => close(old));
    for (const module of both) {
      const flags = ['--tls-max-v1.2', '--tls-cipher-list=ECDHE-ECDSA-AES256-GCM-SHA384'];
      expect({ module, seen: await inChild(module, body, { args: flags }) }).toEqual({
        module,
        seen: {
          authorized: false,
          protocol: 'TLSv1.2',
          cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384',
          toTLS12Server: 'TLSv1.2',
        },
      });
      const min13 = { NODE_OPTIONS: '--tls-min-v1.3' };
      expect({ module, seen: await inChild(module, body, { env: min13 }) }).toMatchObject({
        module,
        seen: { protocol: 'TLSv1.3', toTLS12Server: 'failed' },
      });
    }
  });

  it('a servername that is an IP address gives node’s DEP0123 once per process', async () => {
    const body = `async (tls, pem, serve, probe) => {
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name + ' ' + w.code));
      const server = await serve({ key: pem('server-ec.key'), cert: pem('server-ec.crt') });
      await probe(server, { servername: '127.0.0.1' });
      await probe(server, { servername: '::1' });
      await probe(server);
      server.close();
      return warnings;
    }`;
    for (const module of both) {
      expect({ module, seen: await inChild(module, body, { args: ['--no-warnings'] }) }).toEqual({
        module,
        seen: ['DeprecationWarning DEP0123'],
      });
    }
  });

  it('--tls-keylog: every connection’s key log lines go to the file', async () => {
    const body = `async (tls, pem, serve, probe) => {
      const server = await serve({ key: pem('server-ec.key'), cert: pem('server-ec.crt') });
      await probe(server);
      server.close();
      return null;
    }`;
    for (const module of both) {
      const file = path.join(tempDir('keylog'), 'keys.log');
      await inChild(module, body, { args: [`--tls-keylog=${file}`] });
      const lines = readFileSync(file, 'latin1').trim().split('\n');
      const labels = new Set(lines.map((line) => line.split(' ')[0]));
      for (const label of [
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'SERVER_TRAFFIC_SECRET_0',
      ])
        expect({ module, has: labels.has(label) }).toEqual({ module, has: true });
      // one connection: one client random on every line, written by both of its ends
      expect(new Set(lines.map((line) => line.split(' ')[1])).size).toBe(1);
    }
  });
});
