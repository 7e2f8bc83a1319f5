import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheDir } from '../../lib/code-cache.js';
import { BIN, ROOT, isolatedEnv, tempDir } from '../helpers.js';

// Each compilation runs in a process of its own, with the build's module as the bin loads it (npm test
// builds first): within one process V8 keeps what it compiled and never reads the cache again.
// The code is big enough for V8 to make a real cache of; its inner functions are compiled when they first run.
const body = `${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i}; }`).join('\n')}
module.exports = (x) => f199(x) + f1(x); // a comment on the last line ends before the wrapper's brace`;

function compileIn(dir: string): { value: number; hits: number; misses: number; rejected: number } {
  const script = `
    import { compileFunction, codeCacheStats } from ${JSON.stringify(join(ROOT, 'dist', 'lib', 'code-cache.js'))};
    const module = {};
    compileFunction('t.cjs', ['module'], ${JSON.stringify(body)}, ${JSON.stringify(dir)})(module);
    process.stdout.write(JSON.stringify({ value: module.exports(2), ...codeCacheStats }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}
const miss = { value: 400, hits: 0, misses: 1, rejected: 0 };
const hit = { value: 400, hits: 1, misses: 0, rejected: 0 };
const refused = { value: 400, hits: 0, misses: 0, rejected: 1 };

describe('the V8 code cache of the generated code', () => {
  it('compiles as new Function does, writes an entry when the process exits, and the next process runs from it', () => {
    const dir = join(tempDir(), 'cache');
    expect(compileIn(dir)).toEqual(miss);
    const entries = readdirSync(dir);
    expect(entries).toEqual([expect.stringMatching(/^[0-9a-f]{40}\.v8$/)]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, entries[0])).mode & 0o777).toBe(0o600);
    expect(compileIn(dir)).toEqual(hit);
    expect(readdirSync(dir)).toEqual(entries);
  });

  // V8 does not check the data beyond its header: given a damaged entry, Node 20 crashes with SIGSEGV.
  it.each([
    ['a flipped byte', (b: Buffer) => Buffer.concat([b.subarray(0, b.length >> 1), Buffer.from([b[b.length >> 1] ^ 0xff]), b.subarray((b.length >> 1) + 1)])],
    ['a cut entry', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['an empty entry', () => Buffer.alloc(0)],
    ['the data without its checksum', (b: Buffer) => b.subarray(32)],
  ])('never gives V8 a damaged entry (%s): compiles without it and writes it again', (_, damage) => {
    const dir = join(tempDir(), 'cache');
    compileIn(dir);
    const [entry] = readdirSync(dir);
    const good = readFileSync(join(dir, entry));
    const damaged = damage(good);
    writeFileSync(join(dir, entry), damaged);
    expect(compileIn(dir)).toEqual(refused);
    expect(readFileSync(join(dir, entry)).equals(damaged)).toBe(false);
    expect(compileIn(dir)).toEqual(hit);
  });

  it('never uses a directory others can write to (they could plant code there)', () => {
    const dir = join(tempDir(), 'shared-cache');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(compileIn(dir)).toEqual({ value: 400, hits: 0, misses: 0, rejected: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is in the temporary directory, per user, or where HAVEN_PLUS_CODE_CACHE says; off turns it off', () => {
    expect(codeCacheDir({})).toMatch(/[\\/]haven-plus-code-cache-\w+$/);
    expect(codeCacheDir({ HAVEN_PLUS_CODE_CACHE: '/somewhere' })).toBe('/somewhere');
    for (const off of ['off', '0', 'false']) expect(codeCacheDir({ HAVEN_PLUS_CODE_CACHE: off })).toBeUndefined();
  });

  it('holds the validators the bin compiled, and a validation from them reports what one without it does', () => {
    const work = tempDir();
    const cache = join(work, 'cache');
    const run = (args: string[], setting: string) =>
      execFileSync(process.execPath, [BIN, ...args], { cwd: work, env: { ...isolatedEnv(work), HAVEN_PLUS_CODE_CACHE: setting }, encoding: 'utf8' });
    run(['--yes', '--no-git', '--provider', 'ovhcloud', '--components', 'object-storage,postgres', 'repo'], cache);
    const entries = readdirSync(cache);
    expect(entries.length).toBeGreaterThan(3);
    const cached = run(['validate', 'repo', '--output', 'json'], cache);
    expect(readdirSync(cache)).toEqual(entries);
    const without = run(['validate', 'repo', '--output', 'json'], 'off');
    const report = (text: string) => JSON.parse(text) as { findings: unknown[] };
    expect(report(cached)).toEqual(report(without));
    expect(readdirSync(work).sort()).toEqual(['cache', 'repo']);
  });
});
