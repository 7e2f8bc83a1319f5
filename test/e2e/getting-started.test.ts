/**
 * docs/getting-started.md, run as printed: every `sh` block in order, in one scratch folder, with
 * `haven-plus` on PATH the built bin (test/fixtures/recipe-stubs/haven-plus, which records its arguments).
 * The page's claims about the result are checked on what the blocks made.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, isolatedEnv } from '../helpers.js';

const STUBS = join(ROOT, 'test', 'fixtures', 'recipe-stubs');
const page = readFileSync(join(ROOT, 'docs', 'getting-started.md'), 'utf8');
const blocks = [...page.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === 'sh').map((m) => m[2]);
const cwd = mkdtempSync(join(tmpdir(), 'hp-getting-started-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('docs/getting-started.md, run as printed, in order', () => {
  it('every block runs clean, and the result is what the page says', async () => {
    expect(blocks.length).toBe(5);
    const env = { ...isolatedEnv(cwd), PATH: `${STUBS}:${process.env.PATH}`, HAVEN_PLUS_NODE: process.execPath, HAVEN_PLUS_BIN: BIN, STUB_LOG: join(cwd, 'stub.log') };
    // One shell session, as a reader types the blocks one after another (a `cd` carries over); a marker
    // line between blocks splits the output.
    const marker = '@@@ next block @@@';
    const session = blocks.map((b) => `${b}echo '${marker}'\n`).join('');
    const run = await execa('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', session], { cwd, env, extendEnv: false, stdin: 'ignore', reject: false, all: true });
    expect(run.exitCode, run.all).toBe(0);
    const outputs = run.all.split(marker);
    expect(outputs).toHaveLength(blocks.length + 1);
    const dir = join(cwd, 'gitops');
    expect(outputs[0].trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const path of ['clusters/acc/README.md', 'clusters/prod/README.md', 'README.md', 'docs/haven-compliance.md', '.gitlab-ci.yml']) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(outputs[2]).toMatch(/^clusters:\nacc\nprod$/m);
    expect(outputs[3]).toMatch(/✓ valid/);
    // Day 2: one commit each, on top of the first.
    const log = outputs[4].split('\n').filter((l) => /^[0-9a-f]{7,} /.test(l));
    expect(log).toHaveLength(3);
    expect(log[0]).toMatch(/ feat\(velero\): /);
    expect(log[1]).toMatch(/ feat\(postgres\): add database orders/);
    expect(readFileSync(join(dir, 'clusters/prod/infrastructure/velero.yaml'), 'utf8')).toContain('velero');
    expect(existsSync(join(dir, 'clusters/acc/infrastructure/velero.yaml'))).toBe(false);
  });
});
