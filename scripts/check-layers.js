// Checks that every import in src/ points down the layers (cli → compat → nss → tls → pkcs11 → pki → core), type-only
// imports included. Run-time import circles are madge's job (`npm run lint`).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const src = path.join(__dirname, '..', 'src');
// Lowest first. A file may import its own layer and those below it.
const LAYERS = ['core', 'pki', 'pkcs11', 'tls', 'nss.ts', 'compat', 'cli', 'index.ts'];

function layerOf(file) {
  const top = path.relative(src, file).split(path.sep)[0];
  const rank = LAYERS.indexOf(top);
  if (rank < 0)
    throw new Error(`${path.relative(src, file)} is in no layer: add its folder to scripts/check-layers.js`);
  return rank;
}

function walk(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const problems = [];
for (const file of walk(src).filter((f) => f.endsWith('.ts'))) {
  const rank = layerOf(file);
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), fileName.replace(/\.js$/, '.ts'));
    if (!target.startsWith(src + path.sep)) continue; // ../types/binding.js: the native module's shape
    const targetRank = layerOf(target);
    if (targetRank > rank) {
      problems.push(
        `${path.relative(src, file)} imports ${path.relative(src, target)}: ${LAYERS[rank]} must not depend on ${LAYERS[targetRank]}`,
      );
    }
  }
}
if (problems.length) {
  console.error(`Imports against the layers (${LAYERS.join(' < ')}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`layers: every import in src/ points down (${LAYERS.join(' < ')})`);
