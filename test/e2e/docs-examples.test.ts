/**
 * docs/usage.md's first-run examples, run exactly as printed: each `sh` block that starts a repository
 * (`haven-plus gitops …`) in a fresh directory, with the answers file the page shows where a block names
 * it, then the page's `haven-plus validate gitops` on the result. `haven-plus` on PATH is the built bin
 * (test/fixtures/recipe-stubs/haven-plus, which records its arguments).
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, isolatedEnv } from '../helpers.js';

const STUBS = join(ROOT, 'test', 'fixtures', 'recipe-stubs');
const usage = readFileSync(join(ROOT, 'docs', 'usage.md'), 'utf8');
const blocks = [...usage.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
const answersFile = blocks.find((b) => b.lang === 'yaml' && b.text.startsWith('# answers.yaml'))!;
const firstRuns = blocks.filter((b) => b.lang === 'sh' && /^haven-plus gitops /.test(b.text));
const validateBlock = blocks.find((b) => b.lang === 'sh' && /^haven-plus validate gitops/m.test(b.text))!;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(script: string, cwd: string) {
  const env = { ...isolatedEnv(cwd), PATH: `${STUBS}:${process.env.PATH}`, HAVEN_PLUS_NODE: process.execPath, HAVEN_PLUS_BIN: BIN, STUB_LOG: join(cwd, 'stub.log') };
  return execa('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, extendEnv: false, stdin: 'ignore', reject: false, all: true });
}

describe('docs/usage.md, run as printed', () => {
  it('has the examples this test runs', () => {
    expect(answersFile).toBeDefined();
    expect(firstRuns.map((b) => b.text.split('\n')[0])).toEqual(expect.arrayContaining([expect.stringContaining('--answers answers.yaml')]));
    expect(firstRuns.length).toBeGreaterThanOrEqual(3);
    expect(validateBlock).toBeDefined();
  });

  it.each(firstRuns.map((b) => [b.text.split('\n')[0], b.text]))('%s', async (_first, script) => {
    const cwd = mkdtempSync(join(tmpdir(), 'hp-docs-'));
    dirs.push(cwd);
    if (script.includes('answers.yaml')) writeFileSync(join(cwd, 'answers.yaml'), answersFile.text);
    const generated = await run(script, cwd);
    expect(generated.exitCode, generated.all).toBe(0);
    const validated = await run(validateBlock.text, cwd);
    expect(validated.exitCode, validated.all).toBe(0);
    expect(validated.all).toMatch(/✓ valid/);
  });
});

describe("docs/usage.md's day-2 commands, as printed", () => {
  // The block after "## Day 2"'s repository: every command in order, in the repository the page makes.
  const day2 = usage.slice(usage.indexOf('## Day 2'));
  const [made, commands] = [...day2.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].slice(0, 2).map((m) => m[1]);
  it('run in order in the repository the page makes, and the result validates', async () => {
    expect(made).toMatch(/^haven-plus gitops --yes .* && cd gitops\n$/);
    expect(commands.split('\n').filter((l) => l.startsWith('haven-plus ')).length).toBeGreaterThanOrEqual(8);
    const cwd = mkdtempSync(join(tmpdir(), 'hp-docs-day2-'));
    dirs.push(cwd);
    const result = await run(`${made}${commands}`, cwd);
    expect(result.exitCode, result.all).toBe(0);
    // The stub recorded every one, as printed.
    const recorded = readFileSync(join(cwd, 'stub.log'), 'utf8').trim().split('\n');
    expect(recorded.length).toBe(1 + commands.split('\n').filter((l) => l.startsWith('haven-plus ')).length);
    const validated = await run('haven-plus validate gitops', cwd);
    expect(validated.exitCode, validated.all).toBe(0);
  });
});

describe("docs/usage.md's secret file, as printed", () => {
  // Indented under its list item: taken from the page and dedented, as a reader copies it.
  const indented = /^( +)```yaml\n((?:\1.*\n|\n)*?)\1```$/m.exec(usage.slice(usage.indexOf('--secret-file values.yaml')));
  it('is accepted, and fills every Secret it names on a run that encrypts them', async () => {
    expect(indented, 'the secret file example under --secret-file values.yaml').not.toBeNull();
    const text = indented![2].replace(new RegExp(`^${indented![1]}`, 'gm'), '');
    expect(text).toMatch(/^secrets:/);
    const cwd = mkdtempSync(join(tmpdir(), 'hp-docs-'));
    dirs.push(cwd);
    writeFileSync(join(cwd, 'values.yaml'), text);
    const generated = await run('haven-plus gitops --yes --provider ovhcloud --components loki,postgres --age-generate --secret-file values.yaml', cwd);
    expect(generated.exitCode, generated.all).toBe(0);
    for (const file of ['infrastructure/loki/controller/overlays/prod/s3-credentials.sops.yaml', 'infrastructure/postgres/config/overlays/prod/s3-credentials.sops.yaml']) {
      expect(readFileSync(join(cwd, 'gitops', file), 'utf8'), file).toContain('ENC[AES256_GCM,');
    }
  });
});

describe("the README's scripts-and-CI block, as printed", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /In scripts and CI[\s\S]*?```sh\n([\s\S]*?)^```$/m.exec(readme)![1];
  it('runs in order in one directory: four platforms, one pushed, and the validate it ends with', async () => {
    expect(block).toMatch(/--answers answers\.yaml/);
    expect(block).toMatch(/--push/);
    const cwd = mkdtempSync(join(tmpdir(), 'hp-readme-ci-'));
    dirs.push(cwd);
    writeFileSync(join(cwd, 'answers.yaml'), answersFile.text);
    // The block's remote is reached as a bare repository here: git's own url.<base>.insteadOf, no network.
    const remote = /--git-remote (\S+)/.exec(block)![1];
    const bare = join(cwd, 'remote.git');
    await execa('git', ['init', '--bare', '--quiet', bare]);
    writeFileSync(join(cwd, 'gitconfig'), `[url "file://${bare}"]\n\tinsteadOf = ${remote}\n`);
    const env = { ...isolatedEnv(cwd), GIT_CONFIG_GLOBAL: join(cwd, 'gitconfig'), PATH: `${STUBS}:${process.env.PATH}`, HAVEN_PLUS_NODE: process.execPath, HAVEN_PLUS_BIN: BIN, STUB_LOG: join(cwd, 'stub.log') };
    const result = await execa('bash', ['-euo', 'pipefail', '-c', block], { cwd, env, extendEnv: false, stdin: 'ignore', reject: false, all: true });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/✓ valid/);
    // Every command ran as printed, and the Argo CD platform's commit is on the remote.
    expect(readFileSync(join(cwd, 'stub.log'), 'utf8').trim().split('\n')).toHaveLength(block.split('\n').filter((l) => l.startsWith('haven-plus ')).length);
    const pushed = await execa('git', ['--git-dir', bare, 'rev-parse', 'main'], { reject: false });
    const local = await execa('git', ['-C', join(cwd, 'argocd-platform'), 'rev-parse', 'HEAD'], { reject: false });
    expect(pushed.stdout).toBe(local.stdout);
  });
});
