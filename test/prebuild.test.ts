import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemps, runAsync, tempDir } from './support/tools.js';

const root = path.join(__dirname, '..');
const platformDir = `linux-${process.arch}`;

/** An installed package: compiled JS, a prebuild, node-gyp-build; no build/, no sources, no compiler. */
function installedPackage(prebuild: Buffer): string {
  const pkg = tempDir('pkg');
  for (const entry of ['package.json', 'dist'])
    fs.cpSync(path.join(root, entry), path.join(pkg, entry), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'prebuilds', platformDir), { recursive: true });
  fs.writeFileSync(path.join(pkg, 'prebuilds', platformDir, 'node-nss.glibc.node'), prebuild);
  fs.cpSync(
    path.join(root, 'node_modules', 'node-gyp-build'),
    path.join(pkg, 'node_modules', 'node-gyp-build'),
    {
      recursive: true,
    },
  );
  return pkg;
}

function nodeWithoutToolchain(pkg: string, code: string) {
  return spawnSync(process.execPath, ['-e', code], {
    cwd: pkg,
    env: { PATH: '/nonexistent', PREBUILDS_ONLY: '1', HOME: pkg },
    encoding: 'utf8',
  });
}

describe('prebuilds', () => {
  let prebuild: Buffer;
  let tarball: string;
  let packed: string[];

  beforeAll(() => {
    // npm pack in a copy of the sources (so the build/ directory the other tests load stays untouched): its
    // prepack script makes the prebuild that goes into the tarball.
    const src = tempDir('pack-src');
    for (const entry of [
      'package.json',
      'binding.gyp',
      'native',
      'scripts',
      'src',
      'types',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
    const out = tempDir('pack-out');
    // The lifecycle scripts print on the same stdout: npm's JSON report is the last thing there.
    const output = execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: src,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 300_000,
    });
    const report = JSON.parse(output.slice(output.lastIndexOf('\n[\n') + 1)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(out, report[0]?.filename ?? '');
    packed = report[0]?.files.map((f) => f.path) ?? [];
    const unpacked = tempDir('pack-contents');
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const dir = path.join(unpacked, 'package', 'prebuilds', platformDir);
    expect(fs.readdirSync(dir)).toEqual(['node-nss.glibc.node']);
    prebuild = fs.readFileSync(path.join(dir, 'node-nss.glibc.node'));
    // Stripped: no static symbol table left, only the dynamic one the loader needs.
    const sections = execFileSync('readelf', ['-S', path.join(dir, 'node-nss.glibc.node')], {
      encoding: 'utf8',
    });
    expect(sections).toContain('.dynsym');
    expect(sections).not.toContain('.symtab');
  }, 400_000);
  afterAll(() => removeTemps());

  it('the tarball holds the prebuild, the licence, the changelog and the compiled code, not the sources or tests', () => {
    for (const file of [
      `prebuilds/${platformDir}/node-nss.glibc.node`,
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/index.js',
    ]) {
      expect(packed).toContain(file);
    }
    expect(packed.filter((file) => /^(src|test)\//.test(file) || file.endsWith('.d.ts.map'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(
      /^Mozilla Public License Version 2\.0/,
    );
  });

  it('installed from the tarball into an empty project, npx node-nss demo runs with no compiler', async () => {
    const project = tempDir('consumer');
    fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // The dependencies come from npm's cache (npm ci filled it); only the registry may be asked otherwise.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      stdio: 'ignore',
      timeout: 300_000,
    });
    expect(fs.existsSync(path.join(project, 'node_modules', 'node-nss', 'build'))).toBe(false); // not compiled
    // Only node on PATH: no compiler, no NSS tools, no npm.
    const bin = tempDir('consumer-bin');
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await runAsync(path.join(project, 'node_modules', '.bin', 'node-nss'), ['demo'], {
      env: { PATH: bin, PREBUILDS_ONLY: '1', NO_COLOR: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/cipher suite {2}TLS_\w+/);
    expect(r.stdout).toContain("server's chain  ✔ verified");
    expect(r.stdout).toContain("client's chain  ✔ verified");
  }, 400_000);

  it('npm run prebuild makes an N-API prebuild that loads with no build toolchain', () => {
    const pkg = installedPackage(prebuild);
    const r = nodeWithoutToolchain(
      pkg,
      `const file = require('node-gyp-build').resolve(${JSON.stringify(pkg)});
       const nss = require(${JSON.stringify(pkg)});
       nss.init();
       console.log(JSON.stringify({ file, roots: nss.getDefaultCertDB().listCertificates().length }));
       nss.shutdown();`,
    );
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { file: string; roots: number };
    expect(result.file).toBe(path.join(pkg, 'prebuilds', platformDir, 'node-nss.glibc.node'));
    expect(result.roots).toBeGreaterThan(50);
  });

  it('a missing NSS library is one readable sentence, not a dlopen dump', () => {
    // The same binary, but asking the loader for an NSS library this machine does not have.
    const needed = Buffer.from('libnss3.so\0');
    const at = prebuild.indexOf(needed);
    expect(at).toBeGreaterThan(0);
    const patched = Buffer.from(prebuild);
    patched.write('libnss9.so', at, 'latin1');
    const pkg = installedPackage(patched);
    const r = nodeWithoutToolchain(
      pkg,
      `try { require(${JSON.stringify(pkg)}) } catch (e) { console.log(e.message) }`,
    );
    expect(r.stdout.trim()).toBe(
      'node-nss: the NSS runtime library libnss9.so is not installed. ' +
        'Install libnss3 (Debian/Ubuntu: apt-get install libnss3) or nss (Fedora/RHEL: dnf install nss).',
    );
  });
});

describe('build prerequisites', () => {
  it('a build without pkg-config or the NSS headers stops with one line naming the packages', () => {
    for (const env of [
      { PATH: '/nonexistent' },
      { PATH: process.env.PATH ?? '', PKG_CONFIG_LIBDIR: '/nonexistent', PKG_CONFIG_PATH: '' },
    ]) {
      const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'nss-flags.js'), 'cflags'], {
        env,
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('apt-get install pkg-config libnss3-dev libnspr4-dev');
      expect(lines[0]).toContain('dnf install pkgconf-pkg-config nss-devel nspr-devel');
    }
  });
});
