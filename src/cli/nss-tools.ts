// Drives NSS's own command-line tools (certutil, pk12util): the tests and the benchmarks build their fixture
// databases with it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** @internal Runs an NSS tool; a failure names the command line, exit status and output. */
export function nssTool(tool: string, args: string[], input?: string): string {
  try {
    return execFileSync(tool, args, {
      encoding: 'utf8',
      input: input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string; code?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${tool} not found: install the NSS tools (Debian/Ubuntu: libnss3-tools, Fedora/RHEL: nss-tools)`,
      );
    }
    throw new Error(
      `${tool} ${args.join(' ')} failed (exit ${e.status ?? '?'})\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim(),
    );
  }
}

/** @internal What {@link createCertificate} makes. */
export interface CertificateSpec {
  nickname: string;
  subject: string;
  serial: number;
  /** Nickname of the issuing CA in the same database; omitted: self-signed. */
  issuer?: string;
  keyType: 'rsa' | 'ec';
  trust: string;
  /** Path length for a CA (adds basic constraints CA:true). */
  caPathLength?: number;
  /** certutil --keyUsage / --extKeyUsage / --extSAN values. */
  keyUsage?: string;
  extKeyUsage?: string;
  san?: string;
  /** Generate the key on this token (certutil -h); the password file then holds the token's PIN. */
  token?: string;
  /** Validity offset and length in months (certutil -w / -v). */
  offsetMonths?: number;
  validMonths?: number;
}

/** @internal A new NSS database in `dir` protected by `password` (empty: no password). */
export function createDatabase(
  dir: string,
  password: string,
): { db: string; passwordFile: string; noiseFile: string } {
  fs.mkdirSync(dir, { recursive: true });
  const passwordFile = path.join(dir, 'password.txt');
  const noiseFile = path.join(dir, 'noise.bin');
  fs.writeFileSync(passwordFile, password + '\n');
  fs.writeFileSync(noiseFile, randomBytes(64));
  const db = `sql:${dir}`;
  nssTool('certutil', ['-N', '-d', db, ...(password ? ['-f', passwordFile] : ['--empty-password'])]);
  return { db, passwordFile, noiseFile };
}

/** @internal Creates a key pair and certificate in an NSS database with `certutil -S`. */
export function createCertificate(
  database: { db: string; passwordFile: string; noiseFile: string },
  spec: CertificateSpec,
): void {
  const args = ['-S', '-d', database.db, '-f', database.passwordFile, '-z', database.noiseFile];
  args.push(
    '-n',
    spec.nickname,
    '-s',
    spec.subject,
    '-m',
    String(spec.serial),
    '-t',
    spec.trust,
    '-Z',
    'SHA256',
  );
  args.push(...(spec.issuer ? ['-c', spec.issuer] : ['-x']));
  if (spec.token) args.push('-h', spec.token);
  args.push(...(spec.keyType === 'rsa' ? ['-k', 'rsa', '-g', '2048'] : ['-k', 'ec', '-q', 'nistp256']));
  args.push('-v', String(spec.validMonths ?? 24));
  if (spec.offsetMonths !== undefined) args.push('-w', String(spec.offsetMonths));
  if (spec.keyUsage) args.push('--keyUsage', spec.keyUsage);
  if (spec.extKeyUsage) args.push('--extKeyUsage', spec.extKeyUsage);
  if (spec.san) args.push('--extSAN', spec.san);
  let input = '';
  if (spec.caPathLength !== undefined) {
    // -2: basic constraints prompts: "is this a CA?", path length, "critical?"
    args.push('-2');
    input = `y\n${spec.caPathLength}\ny\n`;
  }
  nssTool('certutil', args, input);
}
