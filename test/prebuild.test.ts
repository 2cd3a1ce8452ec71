import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');

describe('prebuilds', () => {
  it('npm run prebuild makes a stripped N-API prebuild that loads with no build toolchain', () => {
    // Build in a copy of the sources so the build/ directory the other tests load stays untouched.
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-prebuild-src-'));
    for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) {
      fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
    execFileSync('npm', ['run', 'prebuild'], { cwd: src, stdio: 'ignore', timeout: 300_000 });
    const built = fs.readdirSync(path.join(src, 'prebuilds', `linux-${process.arch}`));
    expect(built).toEqual(['node-nss.glibc.node']);
    // Stripped: no static symbol table left, only the dynamic one the loader needs.
    const sections = execFileSync(
      'readelf',
      ['-S', path.join(src, 'prebuilds', `linux-${process.arch}`, built[0] ?? '')],
      {
        encoding: 'utf8',
      },
    );
    expect(sections).toContain('.dynsym');
    expect(sections).not.toContain('.symtab');

    // An installed package: compiled JS, the prebuild, node-gyp-build; no build/, no sources, no compiler.
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-prebuild-pkg-'));
    for (const entry of ['package.json', 'dist'])
      fs.cpSync(path.join(root, entry), path.join(pkg, entry), { recursive: true });
    fs.cpSync(path.join(src, 'prebuilds'), path.join(pkg, 'prebuilds'), { recursive: true });
    fs.mkdirSync(path.join(pkg, 'node_modules'));
    fs.cpSync(
      path.join(root, 'node_modules', 'node-gyp-build'),
      path.join(pkg, 'node_modules', 'node-gyp-build'),
      {
        recursive: true,
      },
    );
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `const file = require('node-gyp-build').resolve(${JSON.stringify(pkg)});
         const nss = require(${JSON.stringify(pkg)});
         nss.init();
         console.log(JSON.stringify({ file, roots: nss.getDefaultCertDB().listCertificates().length }));
         nss.shutdown();`,
      ],
      { cwd: pkg, env: { PATH: '/nonexistent', PREBUILDS_ONLY: '1', HOME: pkg }, encoding: 'utf8' },
    );
    const result = JSON.parse(out) as { file: string; roots: number };
    expect(result.file).toBe(path.join(pkg, 'prebuilds', `linux-${process.arch}`, 'node-nss.glibc.node'));
    expect(result.roots).toBeGreaterThan(50);
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(pkg, { recursive: true, force: true });
  });
});
