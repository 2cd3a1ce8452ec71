// Helpers shared by the test files: running other people's tools, temporary databases, DER names.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { NSPRError } from 'node-nss';
import { copyFixtureDB, type FixtureDB } from '../fixtures/nssdb.js';

/** Runs a command (killed after a minute); returns exit status and both outputs (never throws for a non-zero exit). */
export function run(
  cmd: string,
  args: string[],
  input?: string,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: input ?? '', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Spawns `cmd` with this process's environment (the sanitizer preload included) plus `env`, writes `input` to
 * its stdin when given, and collects both outputs; killed after `ms` (the status is then null).
 */
function collect(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string; ms?: number },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdin.on('error', () => undefined);
    if (opts.input !== undefined) proc.stdin.end(opts.input);
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.ms ?? 60_000);
    proc.on('error', reject);
    proc.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Runs a Node script in a child process started in the package root (so `require('node-nss')` resolves),
 * killed after `ms`: a crash or a hang shows as its exit status. `args` go before `-e` (`--expose-gc`).
 */
export function nodeScript(
  script: string,
  opts: { args?: string[]; env?: Record<string, string>; ms?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return collect(process.execPath, [...(opts.args ?? []), '-e', script], {
    cwd: path.join(__dirname, '..', '..'),
    env: opts.env,
    ms: opts.ms,
  });
}

/** {@link run} without blocking the event loop, for commands that talk to servers in this process. */
export async function runAsync(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string>; ms?: number } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await collect(cmd, args, { ...opts, input: opts.input ?? '' });
  return { ...r, status: r.status ?? -1 };
}

/** Runs a command that must succeed; returns its stdout. */
export function runOk(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `openssl req` with a new unencrypted P-256 key written to `keyOut`: a self-signed certificate when `days`
 * is given, else a certificate request, written to `out`. `extensions` are `-addext` values.
 */
export function opensslP256Request(opts: {
  keyOut: string;
  out: string;
  subject: string;
  days?: number;
  extensions?: string[];
}): void {
  runOk('openssl', [
    'req',
    ...(opts.days === undefined ? ['-new'] : ['-x509', '-days', String(opts.days)]),
    ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', opts.keyOut, '-out', opts.out, '-subj', opts.subject],
    ...(opts.extensions ?? []).flatMap((ext) => ['-addext', ext]),
  ]);
}

const temps: string[] = [];

/** A temporary directory removed by {@link removeTemps}. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `node-nss-${prefix}-`));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A private, writable copy of a fixture database. */
export function writableCopy(fixture: FixtureDB): FixtureDB {
  return copyFixtureDB(fixture, tempDir('db'));
}

/** An empty database (no password). */
export function emptyDB(): { dir: string; db: string } {
  const dir = tempDir('empty');
  runOk('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  return { dir, db: `sql:${dir}` };
}

/** `certutil -L` rows: nickname → trust string. */
export function certutilList(db: string, extra: string[] = []): Map<string, string> {
  const out = runOk('certutil', ['-L', '-d', db, ...extra]);
  const rows = new Map<string, string>();
  for (const line of out.split('\n').slice(4)) {
    const m = /^(.*?)\s{2,}(\S*,\S*,\S*)\s*$/.exec(line);
    if (m?.[1] && m[2]) rows.set(m[1].trim(), m[2]);
  }
  return rows;
}

/** Asserts that `fn` throws an NSPRError with `code`, and returns it. */
export function expectNSPRError(fn: () => unknown, code: string): NSPRError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(NSPRError);
  expect((caught as NSPRError).code).toBe(code);
  return caught as NSPRError;
}

// Minimal DER walking, enough to take the subject Name out of a certificate.
function readTLV(buf: Buffer, offset: number): { start: number; headerLength: number; length: number } {
  let pos = offset + 1;
  const first = buf[pos++] ?? 0;
  let length = first;
  if (first & 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (buf[pos++] ?? 0);
  }
  return { start: offset, headerLength: pos - offset, length };
}

/** The DER encoding of a certificate's subject Name (what a server sends as a CA name). */
export function subjectNameDER(certDER: Buffer): Buffer {
  const cert = readTLV(certDER, 0);
  const tbs = readTLV(certDER, cert.headerLength);
  let pos = tbs.start + tbs.headerLength;
  const fields: Array<{ start: number; end: number }> = [];
  while (fields.length < 7) {
    const f = readTLV(certDER, pos);
    fields.push({ start: pos, end: pos + f.headerLength + f.length });
    pos += f.headerLength + f.length;
  }
  // [0] version, serial, signature algorithm, issuer, validity, subject
  const hasVersion = certDER[fields[0]?.start ?? 0] === 0xa0;
  const subject = fields[hasVersion ? 5 : 4];
  if (!subject) throw new Error('no subject');
  return certDER.subarray(subject.start, subject.end);
}
