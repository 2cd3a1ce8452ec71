// Wrong types fed to every public callable, generated from the table in surface.ts: each must be refused
// with a TypeError (RangeError for a number out of range) naming the argument, in a child process so that
// a crash or an abort shows as a missing outcome rather than taking the test runner down.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { Duplex, Readable, Stream, Writable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import * as nss from 'node-nss';
import { removeTemps, writableCopy } from '../support/tools.js';
import { expectAllJudged, generateCases, runCases, surface } from './surface.js';

const fx = inject('fixtures').ec;
let tried = 0;

afterAll(() => {
  removeTemps();
  // The figure the hardening summary reports: wrong-value cases run in this file.
  if (process.env.HARDENING_SUMMARY) {
    fs.appendFileSync(
      process.env.HARDENING_SUMMARY,
      JSON.stringify({ file: 'wrong-types', cases: tried }) + '\n',
    );
  }
});

// Members every prototype has, and the stream/emitter methods SSLSocket and SSLServer inherit from Node.
const inherited = new Set(['constructor']);

function publicMembers(): string[] {
  const keys: string[] = [];
  for (const [name, value] of Object.entries(nss)) {
    if (typeof value !== 'function') continue;
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    if (!isClass) {
      keys.push(`fn:${name}`);
      continue;
    }
    keys.push(`new:${name}`);
    for (const s of Object.getOwnPropertyNames(value)) {
      if (!['length', 'name', 'prototype'].includes(s)) keys.push(`static:${name}.${s}`);
    }
    // The package's own prototypes: the class and its package bases (SSLConfigurable), up to Node's.
    for (
      let proto = value.prototype;
      proto && isPackageClass(proto.constructor);
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const m of Object.getOwnPropertyNames(proto)) {
        if (inherited.has(m)) continue;
        const d = Object.getOwnPropertyDescriptor(proto, m);
        if (d?.get || typeof d?.value === 'function') keys.push(`${name}#${m}`);
        if (d?.set) keys.push(`${name}#=${m}`);
      }
    }
  }
  return [...new Set(keys)].sort();
}

function isPackageClass(ctor: unknown): boolean {
  if (typeof ctor !== 'function') return false;
  return ![Object, Error, ...nodeBases].includes(ctor as never);
}
const nodeBases = [Duplex, Readable, Writable, Stream, EventEmitter, https.Agent, http.Agent];

describe('the table covers the public surface', () => {
  it('lists every exported function, class, static and method, and nothing else', () => {
    expect(Object.keys(surface).sort()).toEqual(publicMembers());
  });

  it('gives every parameter of a callable that takes some a type and a valid value', () => {
    for (const [key, entry] of Object.entries(surface)) {
      for (const p of entry.params) {
        expect(p.types.length, `${key} ${p.name}`).toBeGreaterThan(0);
        expect(p.name, key).toMatch(/^\w+$/);
      }
    }
  });
});

describe('wrong types are refused with errors naming the argument', () => {
  const all = generateCases(() => true);
  const groups: Array<[string, (key: string) => boolean, boolean]> = [
    ['init() before NSS is up', (k) => k === 'fn:init', false],
    ['functions and constructors', (k) => /^(fn|new|static):/.test(k) && k !== 'fn:init', true],
    [
      'certificates, databases, keys, slots and modules',
      (k) => /^(Certificate|CertDB|PK11Slot|PrivateKey|PKCS11Module|NSPRError|CertVerifyError)#/.test(k),
      true,
    ],
    ['a connected SSLSocket', (k) => k.startsWith('SSLSocket#'), true],
    ['SSLServer and Agent', (k) => /^(SSLServer|Agent)#/.test(k), true],
  ];

  it('generates a case for every group', () => {
    const grouped = groups.flatMap(([, pick]) => all.filter((c) => pick(c.key)));
    expect(grouped.length).toBe(all.length);
    expect(all.length).toBeGreaterThan(1000);
  });

  for (const [name, pick, init] of groups) {
    it(name, { timeout: 300_000 }, async () => {
      const cases = all.filter((c) => pick(c.key));
      expect(cases.length).toBeGreaterThan(0);
      const db = writableCopy(fx);
      const r = await runCases(db, cases, { init, ms: 240_000 });
      tried += r.outcomes.size;
      expectAllJudged(cases, r.outcomes);
      expect({ done: r.done, status: r.status }, r.stderr).toEqual({ done: true, status: 0 });
    });
  }
});
