// How many TLS records a client's writes become, node-nss against node:tls as the reference: the same https
// requests through a relay that reads the record headers, to a node:tls server. node:tls joins the writes
// Writable hands over together (_writev: an HTTP header and its body, the pieces of a chunked body) into one
// record; so must node-nss.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Agent, init, shutdown } from 'node-nss';
import { RecordTap } from '../contract/harness.js';
import { within } from '../support/tls.js';

const fx = inject('fixtures').rsa;
type Version = 'TLSv1.2' | 'TLSv1.3';

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

/** A node:tls https server that reads each request's body and answers "ok". */
function server(version: Version): Promise<{ port: number; close: () => void }> {
  const srv = https.createServer(
    {
      key: fs.readFileSync(fx.keyPemPaths.test_server),
      cert: fs.readFileSync(fx.certs.test_server.pemPath),
      minVersion: version,
      maxVersion: version,
    },
    (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    },
  );
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() }),
    ),
  );
}

/** A relay to `target` that records the client's records; one connection at a time. */
async function relay(target: number): Promise<{ port: number; tap: () => RecordTap; close: () => void }> {
  let tap = new RecordTap();
  const open: net.Socket[] = [];
  const srv = net.createServer((down) => {
    tap = new RecordTap();
    const current = tap;
    const up = net.connect({ host: '127.0.0.1', port: target });
    open.push(down, up);
    down.on('data', (chunk: Buffer) => {
      current.feed(chunk);
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => down.write(chunk));
    down.on('end', () => up.end());
    down.on('close', () => (current.ended = true));
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    tap: () => tap,
    close: () => {
      open.forEach((s) => s.destroy());
      srv.close();
    },
  };
}

type Body = { kind: 'buffer'; data: Buffer } | { kind: 'chunked'; parts: Buffer[] };

/** One POST over a fresh connection through `agent`; resolves once the response has ended. */
function post(agent: https.Agent, port: number, body: Body): Promise<void> {
  return within(
    10_000,
    'POST',
    new Promise<void>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          method: 'POST',
          path: '/',
          agent,
          headers: body.kind === 'buffer' ? { 'content-length': body.data.length } : {},
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      if (body.kind === 'buffer') req.end(body.data);
      else {
        // Corked: Writable hands the pieces (chunk-size lines, data, CRLFs) over together.
        req.cork();
        for (const part of body.parts) req.write(part);
        process.nextTick(() => req.uncork());
        req.end();
      }
    }),
  );
}

const bodies: Array<[string, Body]> = [
  ['a header and a 100-byte body', { kind: 'buffer', data: Buffer.alloc(100, 0x61) }],
  [
    'a chunked body written corked in three pieces',
    { kind: 'chunked', parts: [Buffer.alloc(10, 0x62), Buffer.alloc(20, 0x63), Buffer.alloc(30, 0x64)] },
  ],
];

describe('client records, node-nss against node:tls', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it.each(bodies)(`${version}: %s become as many records as with node:tls`, async (_name, body) => {
      const target = await server(version);
      const wire = await relay(target.port);
      try {
        const kinds = async (agent: https.Agent): Promise<number[]> => {
          await post(agent, wire.port, body);
          agent.destroy();
          // Every record the client sent, its close_notify (if any) included: the connection has closed.
          await within(
            5000,
            'the client connection to close',
            new Promise<void>((resolve) => {
              const check = () => (wire.tap().ended ? resolve() : setTimeout(check, 10));
              check();
            }),
          );
          return wire
            .tap()
            .records.filter((r) => r.complete)
            .map((r) => r.type);
        };
        const options = { keepAlive: false, maxVersion: version, minVersion: version };
        const reference = await kinds(
          new https.Agent({ ...options, ca: fs.readFileSync(fx.certs.test_ca.pemPath) }),
        );
        const ours = await kinds(new Agent(options));
        const count = (types: number[], type: number): number => types.filter((t) => t === type).length;
        // Application data (23) and, in TLS 1.2, the handshake (22) and ChangeCipherSpec (20); TLS 1.3 sends
        // its Finished as application data too, and one ChangeCipherSpec from both for compatibility.
        expect({ appData: count(ours, 23), handshake: count(ours, 22) }).toEqual({
          appData: count(reference, 23),
          handshake: count(reference, 22),
        });
      } finally {
        wire.close();
        target.close();
      }
    });
  }
});
