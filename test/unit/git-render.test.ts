/**
 * The render base and the merge (lib/git.ts) on real repositories, with small file sets: rewritten
 * render commits (rebase, amend, cherry-pick) never become the base, overlaps stop in git's merge
 * state, and git's children (hooks) never see the run's secret values. The same through the bin,
 * as a team works, is in test/e2e/never-lose-work.test.ts.
 */
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitRun } from '../../lib/apply.js';
import { FileSet } from '../../lib/fileset.js';
import { findRenderBase, hasHead, type Rebuild } from '../../lib/git.js';
import { applyWrites, planWrites } from '../../lib/apply.js';
import { tempDir } from '../helpers.js';

const ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Gen', GIT_AUTHOR_EMAIL: 'gen@example.nl' };
// Set for this file's tests only: the unit tests share a process from file to file (vitest.config.ts).
const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
beforeAll(() => Object.assign(process.env, ENV));
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execa('git', ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl', ...args], { cwd: dir, stdin: 'ignore' });
  return stdout;
}

/** A render: a config file with `instances`, a list of databases, and a README. */
function rendered(databases: string[], instances = 3, extra: Record<string, string> = {}): FileSet {
  const files = new FileSet();
  files.add('cluster.yaml', `kind: Cluster\nspec:\n  instances: ${instances}\n  storage: 10Gi\n  monitoring: true\n`);
  files.add('databases.yaml', `${databases.map((d) => `- name: ${d}\n`).join('')}`);
  files.add('README.md', `# platform\n\nDatabases: ${databases.join(', ')}\n`);
  files.add('.yo-rc.json', `${JSON.stringify({ databases, instances })}\n`);
  for (const [p, c] of Object.entries(extra)) files.add(p, c);
  return files;
}

/** One run, as the generator does it: find the base, write on a first run, commit or merge. */
async function runOnce(dir: string, files: FileSet, opts: { theirs?: boolean; rebuild?: Rebuild } = {}) {
  const base = await findRenderBase(dir, opts.rebuild);
  if (!(await hasHead(dir))) applyWrites(dir, planWrites(dir, files, undefined), { firstRun: true });
  const result = await commitRun(dir, files, { base, branch: 'main', renderMessage: 'chore: render\n\nHaven-plus-render: 0.1.0', message: 'chore: render', theirs: opts.theirs, rebuild: opts.rebuild });
  return { base, result };
}

function edit(dir: string, path: string, from: string, to: string): void {
  const text = readFileSync(join(dir, path), 'utf8');
  expect(text).toContain(from);
  writeFileSync(join(dir, path), text.replace(from, to));
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

/** A first render (app, 3 instances) with a committed hand edit: 7 instances. */
async function editedRepo(prefix: string): Promise<string> {
  const dir = tempDir(prefix);
  await runOnce(dir, rendered(['app']));
  edit(dir, 'cluster.yaml', 'instances: 3', 'instances: 7');
  await git(dir, ['commit', '-qam', 'fix: more instances']);
  return dir;
}

/**
 * A teammate's edit (instances 7) under a render that `git pull --rebase` rewrote, in the origin;
 * and a clone of it that never had the rendered tree (no refs/haven-plus, no reflog, no loose objects).
 */
async function rebasedElsewhere(): Promise<{ origin: string; clone: string }> {
  const origin = tempDir('git-origin-');
  await runOnce(origin, rendered(['app']));
  await git(origin, ['switch', '-q', '-c', 'upstream']);
  edit(origin, 'cluster.yaml', 'instances: 3', 'instances: 7');
  await git(origin, ['commit', '-qam', 'fix: more instances']);
  await git(origin, ['switch', '-q', 'main']);
  await runOnce(origin, rendered(['app', 'orders']));
  await git(origin, ['rebase', '-q', 'upstream']);
  const clone = join(tempDir('git-clone-'), 'c');
  await execa('git', ['clone', '-q', '--no-local', '--branch', 'main', origin, clone]);
  expect(await git(clone, ['for-each-ref', 'refs/haven-plus'])).toBe('');
  return { origin, clone };
}

describe('the render base: only a tree the generator rendered', () => {
  it('first run, then an edit and a new render: the edit is kept, the change taken, HEAD a merge of the render', async () => {
    const dir = await editedRepo('git-render-');
    const { result } = await runOnce(dir, rendered(['app', 'orders']));
    expect(result.committed).toBe(true);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 7');
    expect(read(dir, 'databases.yaml')).toBe('- name: app\n- name: orders\n');
    expect((await git(dir, ['log', '-1', '--format=%P'])).split(' ')).toHaveLength(2);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });

  it('after git pull --rebase folded a teammate\'s edit into a render commit, the next run keeps the edit (the rendered tree is the base)', async () => {
    const dir = tempDir('git-rebase-');
    await runOnce(dir, rendered(['app']));
    // The teammate's edit, pushed meanwhile: a branch from the first render.
    await git(dir, ['switch', '-q', '-c', 'upstream']);
    edit(dir, 'cluster.yaml', 'instances: 3', 'instances: 7');
    await git(dir, ['commit', '-qam', 'fix: more instances']);
    await git(dir, ['switch', '-q', 'main']);
    await runOnce(dir, rendered(['app', 'orders']));
    // git pull --rebase: the render commit is replayed onto the edit, so it now carries the edit too.
    await git(dir, ['rebase', '-q', 'upstream']);
    const rewritten = await git(dir, ['log', '-1', '--format=%B']);
    expect(rewritten).toContain('Haven-plus-render-tree:');
    expect(read(dir, 'cluster.yaml')).toContain('instances: 7');

    const { base, result } = await runOnce(dir, rendered(['app', 'orders', 'media']));
    expect(base?.note).toContain('was rewritten');
    expect(result.conflicts).toEqual([]);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 7');
    expect(read(dir, 'databases.yaml')).toBe('- name: app\n- name: orders\n- name: media\n');
  });

  it('after commit --amend put an edit into the first render, the next run keeps it', async () => {
    const dir = tempDir('git-amend-');
    await runOnce(dir, rendered(['app']));
    edit(dir, 'cluster.yaml', 'storage: 10Gi', 'storage: 50Gi');
    await git(dir, ['commit', '-q', '-a', '--amend', '--no-edit']);
    const { result } = await runOnce(dir, rendered(['app', 'orders']));
    expect(result.conflicts).toEqual([]);
    expect(read(dir, 'cluster.yaml')).toContain('storage: 50Gi');
    expect(read(dir, 'README.md')).toContain('Databases: app, orders');
  });

  it('in a clone that never had the rendered tree, a rewritten render is not the base: an older render is, and the edit is kept', async () => {
    const { origin, clone } = await rebasedElsewhere();

    const { base, result } = await runOnce(clone, rendered(['app', 'orders', 'media']));
    expect(base?.note).toContain('measured from the older render');
    // Safe, not silent: the edit stays; where the older base makes both sides look changed, git reports an overlap.
    expect(read(clone, 'cluster.yaml')).toContain('instances: 7');
    expect(result.committed).toBe(false);
    expect(result.conflicts).toEqual(['.yo-rc.json', 'README.md', 'databases.yaml']);
    expect(read(clone, 'databases.yaml')).toMatch(/<<<<<<< HEAD\n[^]*=======\n[^]*- name: media\n>>>>>>> refs\/haven-plus\/render\n/);
  });

  it('in a clone without the rendered tree, a rewritten render is rebuilt from what it recorded, and used only when the rebuilt tree is the recorded one', async () => {
    const { origin, clone } = await rebasedElsewhere();
    // The rebuild sees the rewritten commit's files (with the edit) and renders what its answers say (here: the README's list).
    const seen: string[] = [];
    const rebuild: Rebuild = (files) => {
      seen.push(files.get('cluster.yaml')!);
      return rendered(files.get('README.md')!.split('Databases: ')[1].trim().split(', ')).entries();
    };
    const { base, result } = await runOnce(clone, rendered(['app', 'orders', 'media']), { rebuild });
    expect(seen[0]).toContain('instances: 7');
    expect(base?.note).toContain('rebuilt from the answers it recorded');
    expect(result.conflicts).toEqual([]);
    expect(read(clone, 'cluster.yaml')).toContain('instances: 7');
    expect(read(clone, 'databases.yaml')).toBe('- name: app\n- name: orders\n- name: media\n');

    // A rebuild that comes out different (another version, changed answers) is not trusted.
    const other = join(tempDir('git-clone3-'), 'c');
    await execa('git', ['clone', '-q', '--no-local', '--branch', 'main', origin, other]);
    const wrong = await findRenderBase(other, () => rendered(['app', 'orders'], 4).entries());
    expect(wrong?.note).toContain('measured from the older render');
  });

  it('a render commit cherry-picked onto a branch with an edit is not taken for a render', async () => {
    const dir = tempDir('git-pick-');
    await runOnce(dir, rendered(['app']));
    await git(dir, ['switch', '-q', '-c', 'side']);
    await runOnce(dir, rendered(['app', 'orders']));
    const render = (await git(dir, ['log', '-1', '--format=%H', '--grep=^Haven-plus-render:'])).trim();
    await git(dir, ['switch', '-q', 'main']);
    edit(dir, 'README.md', '# platform', '# our platform');
    await git(dir, ['commit', '-qam', 'docs: our name']);
    await git(dir, ['cherry-pick', render]);
    const { base } = await runOnce(dir, rendered(['app', 'orders', 'media']));
    expect(base?.commit).not.toBe((await git(dir, ['rev-parse', 'HEAD'])).trim());
    expect(read(dir, 'README.md')).toContain('# our platform');
    expect(read(dir, 'README.md')).toContain('Databases: app, orders, media');
  });
});

describe('commits that only look like renders', () => {
  it('a render without the tree trailer (an older version) that was amended is not trusted: the edit is kept', async () => {
    const dir = tempDir('git-legacy-');
    await runOnce(dir, rendered(['app']));
    // What an older version left (no tree trailer, no kept renders), then amended with an edit.
    const message = (await git(dir, ['log', '-1', '--format=%B'])).replace(/\nHaven-plus-render-tree: .*/, '');
    edit(dir, 'cluster.yaml', 'storage: 10Gi', 'storage: 50Gi');
    await git(dir, ['commit', '-q', '-a', '--amend', '-m', message]);
    await git(dir, ['update-ref', '-d', 'refs/haven-plus/renders']);
    const { base, result } = await runOnce(dir, rendered(['app', 'orders']));
    expect(base?.note).toContain('no render commit on this branch is as the generator made it');
    expect(read(dir, 'cluster.yaml')).toContain('storage: 50Gi');
    expect(result.conflicts.length + (result.committed ? 1 : 0)).toBeGreaterThan(0);
  });

  it('a GitHub-style squash (render trailers in the middle of the message) is not a render: the squashed edit is kept', async () => {
    const dir = tempDir('git-squash-');
    await runOnce(dir, rendered(['app']));
    await git(dir, ['switch', '-q', '-c', 'feat']);
    await runOnce(dir, rendered(['app', 'orders']));
    edit(dir, 'cluster.yaml', 'monitoring: true', 'monitoring: false');
    await git(dir, ['commit', '-qam', 'fix: no monitoring']);
    const bodies = await git(dir, ['log', '--reverse', '--format=* %s%n%n%b', 'main..feat']);
    await git(dir, ['switch', '-q', 'main']);
    await git(dir, ['merge', '-q', '--squash', 'feat']);
    await git(dir, ['commit', '-q', '-m', `Feat (#12)\n\n${bodies}`]);
    // Without a way to render the branch's answers: measured from the first render, so the squashed run's
    // changes show as overlaps (safe, noisy). With one: measured from what the branch's answers render, clean.
    const noisy = await runOnce(dir, rendered(['app', 'orders', 'media']));
    expect(read(dir, 'cluster.yaml')).toContain('monitoring: false');
    expect(noisy.result.conflicts).toEqual(['.yo-rc.json', 'README.md', 'databases.yaml']);
    await git(dir, ['merge', '--abort']);
    const rebuild: Rebuild = (files) => rendered((JSON.parse(files.get('.yo-rc.json')!) as { databases: string[] }).databases).entries();
    const { result } = await runOnce(dir, rendered(['app', 'orders', 'media']), { rebuild });
    expect(result.conflicts).toEqual([]);
    expect(result.note).toContain('a squash merge');
    expect(read(dir, 'cluster.yaml')).toContain('monitoring: false');
    expect(read(dir, 'databases.yaml')).toBe('- name: app\n- name: orders\n- name: media\n');
  });

  it('a branch exactly as the last render (its edits undone, after merge commits) continues with a fast-forward', async () => {
    const dir = await editedRepo('git-linear-');
    await runOnce(dir, rendered(['app', 'orders']));
    expect((await git(dir, ['log', '-1', '--format=%P'])).split(' ')).toHaveLength(2);
    edit(dir, 'cluster.yaml', 'instances: 7', 'instances: 3');
    await git(dir, ['commit', '-qam', 'revert: back to three']);
    const before = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    await runOnce(dir, rendered(['app', 'orders', 'media']));
    expect((await git(dir, ['log', '-1', '--format=%P'])).trim()).toBe(before);
    expect(await git(dir, ['log', '-1', '--format=%B'])).toContain('Haven-plus-render-tree:');
    // With an edit in the branch, the render is merged (the branch cannot be the render itself).
    edit(dir, 'cluster.yaml', 'instances: 3', 'instances: 4');
    await git(dir, ['commit', '-qam', 'fix: four']);
    await runOnce(dir, rendered(['app', 'orders', 'media', 'late']));
    expect((await git(dir, ['log', '-1', '--format=%P'])).split(' ')).toHaveLength(2);
  });

  it('a reverted render asked for again is applied again (measured from what the branch\'s answers render), or refused with the way out', async () => {
    const dir = tempDir('git-revert-');
    await runOnce(dir, rendered(['app']));
    await runOnce(dir, rendered(['app', 'orders']));
    await git(dir, ['revert', '--no-edit', 'HEAD']);
    expect(read(dir, 'databases.yaml')).toBe('- name: app\n');
    // Without a way to render the branch's answers: refused, never "nothing changed".
    await expect(runOnce(dir, rendered(['app', 'orders']))).rejects.toThrow(/does not hold the answers of the last render[^]*Revert the revert/);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
    const rebuild: Rebuild = (files) => rendered(files.get('README.md')!.split('Databases: ')[1].trim().split(', ')).entries();
    const { result } = await runOnce(dir, rendered(['app', 'orders']), { rebuild });
    expect(result.committed).toBe(true);
    expect(result.note).toContain('was reverted');
    expect(read(dir, 'databases.yaml')).toBe('- name: app\n- name: orders\n');
  });

  it('answers edited by hand are never taken as done: a re-run with them reports the overlap or applies them, never commits nothing', async () => {
    const dir = tempDir('git-hand-answers-');
    await runOnce(dir, rendered(['app']));
    // The answers file edited by hand to add a database (its other files not rendered yet).
    writeFileSync(join(dir, '.yo-rc.json'), `${JSON.stringify({ databases: ['app', 'orders'], instances: 3 }, null, 1)}\n`);
    await git(dir, ['commit', '-qam', 'chore: add orders by hand']);
    const rebuild: Rebuild = (files) => rendered((JSON.parse(files.get('.yo-rc.json')!) as { databases: string[] }).databases).entries();
    const { result } = await runOnce(dir, rendered(['app', 'orders']), { rebuild });
    // Either applied (databases.yaml has orders) or stopped on the overlap: never a commit without the change.
    if (result.conflicts.length === 0) expect(read(dir, 'databases.yaml')).toContain('orders');
    else expect(result.conflicts).toEqual(['.yo-rc.json']);
  });

  it('answers reformatted by hand (same content) are the same answers: nothing to do, no refusal', async () => {
    const dir = tempDir('git-reformat-');
    await runOnce(dir, rendered(['app']));
    await runOnce(dir, rendered(['app', 'orders']));
    writeFileSync(join(dir, '.yo-rc.json'), `${JSON.stringify({ instances: 3, databases: ['app', 'orders'] }, null, 4)}\n`);
    await git(dir, ['commit', '-qam', 'style: four spaces']);
    const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    const { result } = await runOnce(dir, rendered(['app', 'orders']));
    expect(result.committed).toBe(false);
    expect((await git(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
  });

  it('works in a SHA-256 repository', async () => {
    const dir = tempDir('git-sha256-');
    await execa('git', ['init', '-q', '--object-format=sha256', '-b', 'main', dir]);
    await runOnce(dir, rendered(['app']));
    edit(dir, 'cluster.yaml', 'instances: 3', 'instances: 7');
    await git(dir, ['commit', '-qam', 'fix: more instances']);
    const { result } = await runOnce(dir, rendered(['app', 'orders']));
    expect(result.committed).toBe(true);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 7');
    expect((await git(dir, ['rev-parse', 'HEAD'])).trim()).toHaveLength(64);
  });
});

describe('the merge', () => {
  it('leaves no merge state when the work tree cannot take the merge (a file changed meanwhile), and keeps that change', async () => {
    const dir = await editedRepo('git-dirty-');
    const base = await findRenderBase(dir);
    const { commitRender, mergeRender } = await import('../../lib/git.js');
    const render = await commitRender(dir, rendered(['app'], 5).entries(), { base, message: 'chore: render\n\nHaven-plus-render: 0.1.0', keep: true });
    // Someone edits the file between the check for uncommitted changes and the merge.
    edit(dir, 'cluster.yaml', 'instances: 7', 'instances: 9');
    await expect(mergeRender(dir, render, { base, branch: 'main', message: 'chore: render' })).rejects.toThrow(/could not merge the render into the work tree, so nothing was changed/);
    expect(existsSync(join(dir, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 9');
  });

  it('stops on overlapping edits in git\'s merge state: nothing committed, markers name both sides, --abort goes back, commit concludes', async () => {
    const dir = await editedRepo('git-conflict-');
    const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    const { result } = await runOnce(dir, rendered(['app'], 5));
    expect(result.committed).toBe(false);
    expect(result.conflicts).toEqual(['cluster.yaml']);
    expect((await git(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
    const marked = read(dir, 'cluster.yaml');
    expect(marked).toMatch(/<<<<<<< HEAD\n {2}instances: 7\n=======\n {2}instances: 5\n>>>>>>> refs\/haven-plus\/render/);
    expect(await git(dir, ['status', '--porcelain'])).toContain('UU cluster.yaml');
    // As after git merge: ORIG_HEAD is where the branch was, so `git reset --hard ORIG_HEAD` undoes just this.
    expect((await git(dir, ['rev-parse', 'ORIG_HEAD'])).trim()).toBe(head);
    await git(dir, ['merge', '--abort']);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 7');
    expect(await git(dir, ['status', '--porcelain'])).toBe('');

    await runOnce(dir, rendered(['app'], 5));
    writeFileSync(join(dir, 'cluster.yaml'), read(dir, 'cluster.yaml').replace(/<<<<<<< HEAD\n.*\n=======\n.*\n>>>>>>> .*\n/, '  instances: 6\n'));
    await git(dir, ['add', 'cluster.yaml']);
    await git(dir, ['commit', '-q', '--no-edit']);
    expect((await git(dir, ['log', '-1', '--format=%P'])).split(' ')).toHaveLength(2);
    // The concluded merge has the render as its second parent: the next run measures from it, no conflict.
    const next = await runOnce(dir, rendered(['app', 'orders'], 5));
    expect(next.result.conflicts).toEqual([]);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 6');
  });

  it('theirs (--force) takes the generator\'s side of an overlap and commits', async () => {
    const dir = await editedRepo('git-theirs-');
    const { result } = await runOnce(dir, rendered(['app'], 5), { theirs: true });
    expect(result.committed).toBe(true);
    expect(read(dir, 'cluster.yaml')).toContain('instances: 5');
  });

  it('git and its hooks never see the run\'s secret values (HAVEN_PLUS_SECRET_*, SOPS_AGE_KEY)', async () => {
    const dir = tempDir('git-hooks-');
    await runOnce(dir, rendered(['app']));
    const dump = join(tempDir('git-env-'), 'env.txt');
    mkdirSync(join(dir, '.git', 'hooks'), { recursive: true });
    for (const hook of ['reference-transaction', 'post-merge', 'post-commit', 'post-checkout']) {
      writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\necho "== ${hook}" >> '${dump}'\nenv >> '${dump}'\n`);
      chmodSync(join(dir, '.git', 'hooks', hook), 0o755);
    }
    edit(dir, 'README.md', '# platform', '# ours');
    await git(dir, ['commit', '-qam', 'docs: ours']);
    process.env.HAVEN_PLUS_SECRET_S3_CREDENTIALS__SECRET_ACCESS_KEY = 'very-secret-value-1';
    process.env.SOPS_AGE_KEY = 'AGE-SECRET-KEY-1VERYSECRET';
    try {
      await runOnce(dir, rendered(['app', 'orders']));
    } finally {
      delete process.env.HAVEN_PLUS_SECRET_S3_CREDENTIALS__SECRET_ACCESS_KEY;
      delete process.env.SOPS_AGE_KEY;
    }
    const seen = readFileSync(dump, 'utf8');
    // The hooks ran (so the check can fail) and saw the rest of the environment.
    expect(seen).toContain('== reference-transaction');
    expect(seen).toContain('== post-merge');
    expect(seen).toContain('GIT_CONFIG_NOSYSTEM=1');
    expect(seen).not.toContain('very-secret-value-1');
    expect(seen).not.toContain('VERYSECRET');
  });
});

afterEach(() => {
  delete process.env.HAVEN_PLUS_SECRET_S3_CREDENTIALS__SECRET_ACCESS_KEY;
});
