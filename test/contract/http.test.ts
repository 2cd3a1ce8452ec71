// Node's HTTP stacks over each implementation: an https.Agent (node-nss exports one) posting a body written in
// several writes, and http2.connect({ createConnection }) to node's own http2 secure server. Recorded: the
// request's and response's events, status, the bytes each end's HTTP layer saw, and the TLS sockets'
// end/finish/close/error (not their 'data': the HTTP parsers own the reads).
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as net from 'node:net';
import { expect } from 'vitest';
import { contractSuite, useContractCredentials, type Scenario } from './contract.js';
import { payload, sha256, type Leg, type Side, type TLSEnd } from './harness.js';

const credentials = useContractCredentials();
const parts = [payload(1000, 1), payload(20_000, 2), payload(1, 3), payload(5000, 4)];
const body = Buffer.concat(parts);

/** Collects a readable's bytes into a note; marks its 'end' and 'close'. */
function collect(
  stream: NodeJS.ReadableStream & NodeJS.EventEmitter,
  side: Side,
  key: string,
  log: string[],
  then?: () => void,
) {
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  stream.on('end', () => {
    const all = Buffer.concat(chunks);
    log.push(`${key} end`);
    side.note(key, { length: all.length, sha256: sha256(all) });
    then?.();
  });
}

const scenarios: Scenario[] = [
  {
    name: 'POST through an https Agent, the body in four writes (chunked), the response read to its end',
    deadline: 3000,
    plan: () => {
      let current: Leg | undefined;
      const leg = () => current!;
      const serverLog: string[] = [];
      const httpServer = http.createServer((req, res) => {
        serverLog.push(
          `request ${req.method ?? ''} ${req.url ?? ''} ${String(req.headers['transfer-encoding'])}`,
        );
        collect(req, leg().server, 'requestBody', serverLog, () => {
          res.setHeader('content-type', 'text/plain');
          res.end('stored');
        });
      });
      return {
        watchServer: { data: false },
        onServer: (sock, l) => {
          current = l;
          l.server.note('http', serverLog);
          httpServer.emit('connection', sock);
        },
        run: (l) => {
          current = l;
          const log: string[] = [];
          l.client.note('http', log);
          const agent = l.clientImpl.agent();
          l.defer(() => agent.destroy());
          const req = https.request({
            host: '127.0.0.1',
            port: l.port,
            method: 'POST',
            path: '/upload',
            agent,
            headers: { 'content-type': 'application/octet-stream' },
          });
          req.on('socket', (sock: net.Socket) => {
            log.push('socket');
            sock.once('secureConnect', () => l.client.mark('secure'));
            l.client.watch(sock as unknown as TLSEnd, { data: false });
          });
          for (const event of ['finish', 'close']) req.on(event, () => (log.push(event), l.changed()));
          req.on('error', (err) => log.push(`error(${String((err as { code?: string }).code)})`));
          req.on('response', (res) => {
            log.push(`response ${String(res.statusCode)}`);
            collect(res, l.client, 'responseBody', log);
            res.on('close', () => (log.push('response close'), l.changed()));
          });
          req.write(parts[0]);
          req.write(parts[1]);
          setImmediate(() => {
            req.write(parts[2]);
            setTimeout(() => req.end(parts[3]), 10);
          });
        },
      };
    },
    done: (leg) =>
      leg.client.closed &&
      leg.server.closed &&
      (leg.client.notes.http as string[]).includes('response close'),
    // The request's 'finish' (its last chunk handed to the socket: a write callback) and the response's
    // arrival race each other in node:tls against node:tls too (measured: under the sanitizer run's load the
    // response came first); that 'finish' happens once, before 'close', is kept.
    normalise: (record) => {
      const http = record.client.notes.http as string[];
      const finishes = http.filter((e) => e === 'finish').length;
      const finishedInTime = http.indexOf('finish') < http.indexOf('close');
      const rest = http.filter((e) => e !== 'finish');
      return {
        ...record,
        client: {
          ...record.client,
          // Whether the client's TLS socket sees the server's end before the agent closes it races in the
          // reference too (node:tls against node:tls, seen both with and without that 'end').
          events: record.client.events.filter((e) => e !== 'end'),
          notes: { ...record.client.notes, http: rest, finish: { finishes, finishedInTime } },
        },
      };
    },
    check: (r) => {
      expect(r.completed).toBe(true);
      expect(r.uncaught).toEqual([]);
      expect(r.server.notes.requestBody).toEqual({ length: body.length, sha256: sha256(body) });
      expect(r.client.notes.http).toContain('response 200');
      expect(r.client.notes.finish).toEqual({ finishes: 1, finishedInTime: true });
    },
  },
  {
    name: 'http2.connect(url, { createConnection }) to a node http2 secure server: GET, then POST in three writes',
    deadline: 3000,
    pairings: 'clients',
    plan: () => ({
      run: async (l) => {
        const creds = credentials();
        const serverLog: string[] = [];
        l.server.note('http2', serverLog);
        const h2 = http2.createSecureServer({ cert: creds.server.certPem, key: creds.server.keyPem });
        h2.on('stream', (stream, headers) => {
          serverLog.push(`stream ${String(headers[':method'])} ${String(headers[':path'])}`);
          collect(stream, l.server, `body ${String(headers[':path'])}`, serverLog, () => {
            stream.respond({ ':status': 200, 'content-type': 'text/plain' });
            stream.end(`you sent ${String(headers[':path'])}`);
          });
        });
        h2.on('session', (session) =>
          session.on('close', () => (serverLog.push('session close'), l.changed())),
        );
        await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
        l.port = (h2.address() as net.AddressInfo).port;
        l.defer(() => new Promise<void>((resolve) => h2.close(() => resolve())));
        const log: string[] = [];
        l.client.note('http2', log);
        const session = http2.connect(`https://localhost:${l.port}`, {
          createConnection: () =>
            l.connect({ ALPNProtocols: ['h2'] }, { data: false }) as unknown as net.Socket,
        });
        for (const event of ['connect', 'close'])
          session.on(event, () => (log.push(`session ${event}`), l.changed()));
        session.on('error', (err) => log.push(`session error(${String((err as { code?: string }).code)})`));
        l.defer(() => session.destroy());
        const request = (method: string, path: string, send: Buffer[]) =>
          new Promise<void>((resolve) => {
            const req = session.request({ ':method': method, ':path': path });
            req.on('response', (headers) => log.push(`response ${String(headers[':status'])}`));
            req.on('error', (err) => {
              log.push(`stream error(${String((err as { code?: string }).code)})`);
              resolve();
            });
            collect(req, l.client, `response ${path}`, log, resolve);
            if (method === 'GET') req.end();
            else {
              req.write(send[0]);
              req.write(send[1]);
              setImmediate(() => req.end(send[2]));
            }
          });
        await request('GET', '/first', []);
        await request('POST', '/second', [parts[0]!, parts[1]!, parts[3]!]);
        session.close();
      },
    }),
    done: (leg) =>
      leg.client.closed &&
      (leg.client.notes.http2 as string[] | undefined)?.includes('session close') === true,
    check: (r) => {
      expect(r.completed).toBe(true);
      expect(r.uncaught).toEqual([]);
      const posted = Buffer.concat([parts[0]!, parts[1]!, parts[3]!]);
      expect(r.server.notes['body /second']).toEqual({ length: posted.length, sha256: sha256(posted) });
      expect(r.client.notes.http2).toEqual([
        'session connect',
        'response 200',
        'response /first end',
        'response 200',
        'response /second end',
        'session close',
      ]);
    },
  },
];

contractSuite('Node HTTP stacks', scenarios, credentials);
