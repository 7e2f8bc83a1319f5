/**
 * Never lose work, as a team uses the tool: through the bin on real git repositories (a teammate's
 * edit through `git pull --rebase`, two runs at once, a detached HEAD, a remote that never answers,
 * symbolic links out of the repository, a machine that says no), and a fault-injection loop that
 * kills the writing and committing steps at random moments.
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { normaliseRaw } from '../../lib/answers.js';
import { render, questionContext } from '../../lib/generate.js';
import { git, listFiles, readTree, ROOT, runBin, tempDir } from '../helpers.js';

const DATABASES = 'infrastructure/postgres/config/base/databases.yaml';

let template: string | undefined;
/** A generated repository (`haven-plus p --yes`) of its own in a new directory: generated once, copied (with .git) per test. */
async function generatedCopy(prefix: string): Promise<{ cwd: string; dir: string }> {
  if (!template) {
    const home = tempDir('nlw-template-');
    const r = await runBin(['p', '--yes'], { cwd: home });
    expect(r.exitCode, r.all).toBe(0);
    template = join(home, 'p');
  }
  const cwd = tempDir(prefix);
  cpSync(template, join(cwd, 'p'), { recursive: true, verbatimSymlinks: true });
  return { cwd, dir: join(cwd, 'p') };
}
const ID = ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl'];

describe('day 2 under rebase and concurrency', () => {
  it("keeps a teammate's edit that git pull --rebase folded into a render commit (the issue's reproduction)", async () => {
    const cwd = tempDir('nlw-rebase-');
    const bare = join(cwd, 'remote.git');
    await git(cwd, ['init', '--bare', '--quiet', '-b', 'main', bare]);
    const url = `file://${bare}`;
    const first = await runBin(['p', '--yes', '--git-remote', url, '--push'], { cwd });
    expect(first.exitCode, first.all).toBe(0);
    const [a, b] = [join(cwd, 'a'), join(cwd, 'b')];
    await git(cwd, ['clone', '-q', url, a]);
    await git(cwd, ['clone', '-q', url, b]);
    const text = readFileSync(join(a, DATABASES), 'utf8');
    expect(text).toContain('instances: 3');
    writeFileSync(join(a, DATABASES), text.replace('instances: 3', 'instances: 7'));
    await git(a, [...ID, 'commit', '-qam', 'fix: seven instances']);
    await git(a, ['push', '-q']);

    const orders = await runBin(['database', 'orders'], { cwd: b });
    expect(orders.exitCode, orders.all).toBe(0);
    await git(b, [...ID, 'pull', '-q', '--rebase']);
    // The render commit now carries the teammate's edit: it must not be taken for a render.
    expect(readFileSync(join(b, DATABASES), 'utf8')).toContain('instances: 7');
    const media = await runBin(['bucket', 'media'], { cwd: b });
    expect(media.exitCode, media.all).toBe(0);
    // The file holds both databases' clusters: app's keeps the edit (7), orders' has the default (3).
    const after = readFileSync(join(b, DATABASES), 'utf8');
    const app = after.split('\n---\n').find((d) => /\n {2}name: app\n/.test(d) && d.includes('kind: Cluster'));
    expect(app, after).toContain('instances: 7');
    expect(after.match(/instances: 7/g)).toHaveLength(1);
    expect(after).toContain('name: orders');
    expect(readFileSync(join(b, '.yo-rc.json'), 'utf8')).toContain('"media"');
    expect(media.all).toContain('was rewritten');
    expect(await git(b, ['status', '--porcelain'])).toBe('');

    // A third colleague clones what B pushed right after the rebase: that clone never had the rendered tree,
    // so the render is rebuilt from the answers the rewritten commit recorded (same version, same bytes).
    await git(b, ['push', '-q', 'origin', 'HEAD~1:main']);
    const c = join(cwd, 'c');
    await git(cwd, ['clone', '-q', url, c]);
    expect(await git(c, ['for-each-ref', 'refs/haven-plus'])).toBe('');
    const late = await runBin(['database', 'late'], { cwd: c });
    expect(late.exitCode, late.all).toBe(0);
    expect(late.all).toContain('rebuilt from the answers it recorded');
    expect(readFileSync(join(c, DATABASES), 'utf8').match(/instances: 7/g)).toHaveLength(1);
    expect(readFileSync(join(c, DATABASES), 'utf8')).toContain('name: late');
  });

  it('two runs at once in one repository: the second waits for the first, and both changes land', async () => {
    const { dir } = await generatedCopy('nlw-concurrent-');
    const [x, y] = await Promise.all([runBin(['database', 'dbx'], { cwd: dir }), runBin(['bucket', 'bky'], { cwd: dir })]);
    expect(x.exitCode, x.all).toBe(0);
    expect(y.exitCode, y.all).toBe(0);
    expect(`${x.all}\n${y.all}`).toContain('Waiting for another haven-plus run in this repository to finish');
    const stored = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers;
    expect(stored.databases).toEqual(['app', 'dbx']);
    expect(stored.buckets).toEqual(['bky']);
    expect(readFileSync(join(dir, DATABASES), 'utf8')).toContain('name: dbx');
    expect(Number(await git(dir, ['rev-list', '--count', '--first-parent', 'HEAD']))).toBe(3);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    expect(existsSync(join(dir, '.git', 'haven-plus.lock'))).toBe(false);
  });

  it('takes over a lock whose process is gone, and says so', async () => {
    const { dir } = await generatedCopy('nlw-stale-');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const { hostname } = await import('node:os');
    writeFileSync(join(dir, '.git', 'haven-plus.lock'), JSON.stringify({ pid: dead.pid, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'haven-plus database' }));
    const r = await runBin(['database', 'late'], { cwd: dir });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain(`(left by haven-plus database, pid ${dead.pid}, which is no longer running)`);
    expect(existsSync(join(dir, '.git', 'haven-plus.lock'))).toBe(false);
  });
});

describe('branches and remotes', () => {
  it('refuses to run while git is in the middle of a merge or rebase, even with conflict markers in .yo-rc.json (exit 2, never a crash)', async () => {
    const { dir } = await generatedCopy('nlw-unfinished-');
    // Two branches each add a database: merging them leaves markers in .yo-rc.json.
    await git(dir, ['switch', '-q', '-c', 'other']);
    expect((await runBin(['database', 'billing'], { cwd: dir })).exitCode).toBe(0);
    await git(dir, ['switch', '-q', 'main']);
    expect((await runBin(['database', 'orders'], { cwd: dir })).exitCode).toBe(0);
    await execa('git', [...ID, 'merge', 'other'], { cwd: dir, reject: false });
    expect(readFileSync(join(dir, '.yo-rc.json'), 'utf8')).toContain('<<<<<<<');
    for (const args of [['bucket', 'media'], []]) {
      const r = await runBin(args, { cwd: dir });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toContain(`directory: ${dir} is in the middle of a merge`);
      expect(r.stderr).toContain('git merge --abort');
      expect(r.stderr).not.toContain('unexpected error');
    }
    await git(dir, ['merge', '--abort']);
    await git(dir, ['switch', '-q', 'other']);
    await execa('git', [...ID, 'rebase', 'main'], { cwd: dir, reject: false });
    const rebasing = await runBin(['bucket', 'media'], { cwd: dir });
    expect(rebasing.exitCode).toBe(2);
    expect(rebasing.stderr).toContain('is in the middle of a rebase');
    expect(rebasing.stderr).toContain('git rebase --abort');
  });

  it('refuses a detached HEAD with the fix; on another branch reports that branch and what the clusters follow', async () => {
    const { dir } = await generatedCopy('nlw-branch-');
    await git(dir, ['switch', '-q', '--detach']);
    const head = await git(dir, ['rev-parse', 'HEAD']);
    const detached = await runBin(['database', 'orders'], { cwd: dir });
    expect(detached.exitCode).toBe(2);
    expect(detached.stderr).toContain('has a detached HEAD');
    expect(detached.stderr).toContain('git switch main');
    // Only our message: not Yeoman's "An error occured while running …" line above it.
    expect(detached.all).not.toContain('An error occured');
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');

    await git(dir, ['switch', '-q', '-c', 'feature']);
    const feature = await runBin(['database', 'orders'], { cwd: dir });
    expect(feature.exitCode, feature.all).toBe(0);
    expect(feature.all).toMatch(/Committed [0-9a-f]+ on feature /);
    expect(feature.all).toContain('The clusters follow main: merge feature into it');
    expect(await git(dir, ['rev-parse', 'main'])).toBe(head);
  });

  it('--push to a remote that never answers stops after --push-timeout with exit 6, keeping the local commit', async () => {
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const cwd = tempDir('nlw-push-');
      const started = Date.now();
      // Over HTTPS, git push hands the talking to git-remote-https, which keeps the output open: it must be stopped too.
      const r = await runBin(['p', '--yes', '--engine', 'argocd', '--git-remote', `https://127.0.0.1:${port}/p.git`, '--push', '--push-timeout', '2'], { cwd });
      expect(r.exitCode, r.all).toBe(6);
      expect(r.stderr).toContain('push: the remote did not answer within 2 s (--push-timeout)');
      expect(r.stderr).toContain('git push --set-upstream origin main');
      expect(Date.now() - started).toBeLessThan(50_000);
      expect(sockets.length).toBeGreaterThan(0);
      expect((await git(join(cwd, 'p'), ['rev-list', '--count', 'HEAD'])).trim()).toBe('1');
      const bad = await runBin(['q', '--yes', '--engine', 'argocd', '--git-remote', `git://127.0.0.1:${port}/q.git`, '--push', '--push-timeout', 'soon'], { cwd });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain('push-timeout: "soon" is not a whole number of seconds');
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

/** Whether this machine lets the test mount a small tmpfs (root in a container usually can). */
async function canMount(): Promise<boolean> {
  const probe = tempDir('nlw-mount-');
  const r = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'none', probe], { reject: false });
  if (r.exitCode !== 0) return false;
  await execa('umount', [probe], { reject: false });
  return true;
}

describe('the machine says no: clear messages, documented exit codes, nothing written', () => {
  it('a target that is a file (exit 2), git missing from PATH (exit 4)', async () => {
    const cwd = tempDir('nlw-machine-');
    writeFileSync(join(cwd, 'afile'), 'mine\n');
    const file = await runBin(['afile', '--yes'], { cwd });
    expect(file.exitCode).toBe(2);
    expect(file.stderr).toContain(`directory: ${join(cwd, 'afile')} is a file, not a directory`);
    const inside = await runBin(['afile/p', '--yes'], { cwd });
    expect(inside.exitCode).toBe(2);
    expect(inside.stderr).toContain(`${join(cwd, 'afile')} is a file, so ${join(cwd, 'afile/p')} cannot be created inside it`);

    // A PATH with node and kubectl, without git.
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    for (const tool of ['kubectl']) {
      const where = (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).stdout.trim();
      if (where) symlinkSync(where, join(bin, tool));
    }
    const nogit = await runBin(['p', '--yes'], { cwd, env: { PATH: bin } });
    expect(nogit.exitCode, nogit.all).toBe(4);
    expect(nogit.stderr).toContain('git is not installed or not on PATH');
    expect(nogit.stderr).toContain('--no-git');
    expect(nogit.stderr).not.toContain('unexpected error');
    expect(existsSync(join(cwd, 'p'))).toBe(false);
  });

  it('a read-only parent and a full disk (exit 4), before anything is written', async (ctx) => {
    if (!(await canMount())) {
      ctx.skip('cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): the read-only and full-disk cases need one');
    }
    const cwd = tempDir('nlw-fs-');
    const ro = join(cwd, 'ro');
    const small = join(cwd, 'small');
    mkdirSync(ro);
    mkdirSync(small);
    await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'none', ro]);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'none', small]);
    try {
      const readOnly = await runBin(['ro/p', '--yes'], { cwd });
      expect(readOnly.exitCode, readOnly.all).toBe(4);
      expect(readOnly.stderr).toContain(`directory: ${join(ro, 'p')} cannot be written: the file system is read-only`);
      expect(readdirSync(ro)).toEqual([]);

      const full = await runBin(['small/p', '--yes'], { cwd });
      expect(full.exitCode, full.all).toBe(4);
      expect(full.stderr).toMatch(/not enough space on the device holding .*: the repository needs about [\d.]+ MB, [\d.]+ MB is free/);
      expect(full.stderr).not.toContain('unexpected error');
      expect(readdirSync(small)).toEqual([]);
    } finally {
      await execa('umount', [ro], { reject: false });
      await execa('umount', [small], { reject: false });
    }
  });

  it('never writes through a symbolic link that leaves the repository (or dangles); says which, writes nothing', async () => {
    const cwd = tempDir('nlw-links-');
    const outside = join(cwd, 'outside');
    mkdirSync(outside);
    const dir = join(cwd, 'p');
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'infrastructure'));
    const r = await runBin(['p', '--yes', '--force'], { cwd });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain(`directory: infrastructure is a symbolic link to ${outside}, outside the repository; haven-plus never writes outside it`);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(dir, '.git'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['infrastructure']);

    rmSync(join(dir, 'infrastructure'));
    symlinkSync(join(cwd, 'nowhere', 'README.md'), join(dir, 'README.md'));
    const dangling = await runBin(['p', '--yes', '--force'], { cwd });
    expect(dangling.exitCode).toBe(2);
    expect(dangling.stderr).toContain('directory: README.md is a symbolic link to');
    expect(dangling.stderr).toContain('which does not exist');
    expect(existsSync(join(cwd, 'nowhere'))).toBe(false);
  });
});

describe('interrupted runs leave the old state or the new, and a plain re-run finishes', () => {
  it('SIGTERM during validation: the run stops at the next safe point with exit 143, writes nothing, and a re-run completes', async () => {
    const cwd = tempDir('nlw-signal-');
    const child = execa(process.execPath, [join(ROOT, 'dist/bin/haven-plus.js'), 'p', '--yes'], { cwd, reject: false, all: true, env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
    // Yeoman logs to stderr.
    child.all!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Planning, rendering and validating')) child.kill('SIGTERM');
    });
    const r = await child;
    expect(r.exitCode, r.all).toBe(143);
    expect(r.stderr).toContain('haven-plus: interrupted (SIGTERM): nothing was written or committed. Run the same command again to finish.');
    expect(existsSync(join(cwd, 'p', '.yo-rc.json'))).toBe(false);
    const again = await runBin(['p', '--yes'], { cwd });
    expect(again.exitCode, again.all).toBe(0);
    expect(await git(join(cwd, 'p'), ['status', '--porcelain'])).toBe('');
  });

  it('killed at random moments while writing and committing a large render, every file is whole, and a plain re-run (the bin) finishes', async () => {
    // A large render (many clusters), as the bin would make it for these flags.
    const flags = { name: 'fleet', preset: 'haven-plus', provider: 'ovhcloud', clusters: Array.from({ length: 4 }, (_, i) => `c${i + 1}`).join(','), 'keycloak-hostname': 'sso.{cluster}.gemeente.nl', 'acme-email': 'ops@gemeente.nl', 'git-remote': 'https://git.example.nl/fleet.git' };
    const ctx = questionContext('fleet');
    const answers = resolveAnswers(withDefaults(normaliseRaw(flags, 'test').answers, ctx), ctx);
    const { files } = render(answers, ctx.catalog);
    expect(files.size).toBeGreaterThan(250);
    const cwd = tempDir('nlw-faults-');
    const manifest = join(cwd, 'manifest.json');
    writeFileSync(manifest, JSON.stringify(files.entries()));
    const driver = join(ROOT, 'test/fixtures/apply-driver.mjs');
    const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Gen', GIT_AUTHOR_EMAIL: 'gen@example.nl', PATH: process.env.PATH ?? '' };
    const drive = (dir: string) => execa(process.execPath, [driver, join(ROOT, 'dist'), dir, manifest], { env, extendEnv: false, reject: false, all: true });

    // How long an uninterrupted run takes: kills land anywhere in it.
    const timing = join(cwd, 'timing');
    const t0 = Date.now();
    expect((await drive(timing)).exitCode).toBe(0);
    const span = Math.max(200, Date.now() - t0);
    const expected = files.entries();
    const tree = await git(timing, ['rev-parse', 'HEAD^{tree}']);

    /** Old state or new: every file present is whole (as rendered); a commit, if any, is the whole render. */
    const checkState = async (dir: string, what: string) => {
      if (!existsSync(dir)) return;
      for (const f of listFiles(dir)) {
        if (f === '.haven-plus-tmp' || f.startsWith('.haven-plus-tmp/')) continue;
        expect(files.has(f), `${what}: ${f} is not a rendered file`).toBe(true);
        expect(readFileSync(join(dir, f), 'utf8') === files.get(f), `${what}: ${f} is half-written`).toBe(true);
      }
      const head = await execa('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{tree}'], { cwd: dir, reject: false });
      if (existsSync(join(dir, '.git')) && head.exitCode === 0) expect(head.stdout, `${what}: a commit that is not the whole render`).toBe(tree);
    };

    let kills = 0;
    let seed = 20261206;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGINT'];
    for (let chain = 0; chain < 3; chain++) {
      const dir = join(cwd, `run${chain}`);
      for (let attempt = 0; attempt < 5; attempt++) {
        const child = drive(dir);
        const delay = Math.floor(random() * span);
        const timer = setTimeout(() => child.kill(signals[(chain + attempt) % 3]), delay);
        const r = await child;
        clearTimeout(timer);
        if (r.exitCode !== 0) kills++;
        expect([0, null, 143, 130, 137].includes(r.exitCode ?? null) || r.signal !== undefined, `${r.exitCode} ${r.all}`).toBe(true);
        await checkState(dir, `chain ${chain}, kill ${attempt} after ${delay} ms`);
      }
      if (chain < 2) {
        const done = await drive(dir);
        expect(done.exitCode, done.all).toBe(0);
      }
    }
    expect(kills, 'the loop must actually interrupt runs').toBeGreaterThan(5);
    for (const chain of [0, 1]) {
      const dir = join(cwd, `run${chain}`);
      expect(readTree(dir)).toEqual(new Map(expected));
      expect(await git(dir, ['rev-parse', 'HEAD^{tree}'])).toBe(tree);
      expect(await git(dir, ['status', '--porcelain'])).toBe('');
    }
    // The last chain is finished by the bin itself: the same command, run again.
    const args = ['run2', '--yes', ...Object.entries(flags).filter(([k]) => k !== 'name').flatMap(([k, v]) => [`--${k}`, v]), '--name', 'fleet'];
    const bin = await runBin(args, { cwd });
    expect(bin.exitCode, bin.all).toBe(0);
    expect(readTree(join(cwd, 'run2'))).toEqual(new Map(expected));
    expect(await git(join(cwd, 'run2'), ['status', '--porcelain'])).toBe('');
  });
});
