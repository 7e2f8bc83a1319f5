/**
 * Git at the edge: init, commit, remote, push. Every call passes arguments as an array (no shell),
 * so no answer can inject a command.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HavenPlusError } from './errors.js';

const FALLBACK_AUTHOR = { name: 'haven-plus', email: 'haven-plus@localhost.invalid' };

async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await execa('git', args, { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, stdin: 'ignore' });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; shortMessage?: string };
    throw new HavenPlusError(`git ${args[0]} failed: ${(e.stderr || e.shortMessage || String(error)).trim()}`);
  }
}

/** Whether dir is the top level of a git work tree (not merely inside one). */
export async function isRepositoryRoot(dir: string): Promise<boolean> {
  return existsSync(join(dir, '.git'));
}

/** The top level of the work tree containing dir (or its nearest existing ancestor), if any. */
export async function enclosingRepository(dir: string): Promise<string | undefined> {
  let probe = dir;
  while (!existsSync(probe)) probe = dirname(probe);
  try {
    return (await git(probe, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    return undefined;
  }
}

/** Porcelain status lines of uncommitted changes (empty when clean). */
export async function uncommittedChanges(dir: string): Promise<string[]> {
  const out = await git(dir, ['status', '--porcelain', '--untracked-files=all']);
  return out.split('\n').filter((l) => l.length > 0);
}

function parseAuthor(author: string): { name: string; email: string } {
  const m = /^(.*) <(.*)>$/.exec(author)!;
  return { name: m[1], email: m[2] };
}

async function identity(dir: string, author?: string): Promise<{ name: string; email: string; fallback: boolean }> {
  if (author) return { ...parseAuthor(author), fallback: false };
  const read = async (key: string) => {
    try {
      return (await git(dir, ['config', '--get', key])).trim();
    } catch {
      return '';
    }
  };
  const [name, email] = [process.env.GIT_AUTHOR_NAME || (await read('user.name')), process.env.GIT_AUTHOR_EMAIL || (await read('user.email'))];
  if (name && email) return { name, email, fallback: false };
  return { ...FALLBACK_AUTHOR, fallback: true };
}

/** Initialises a repository (unborn branch) unless dir already is one. */
export async function initRepository(dir: string, branch: string): Promise<void> {
  if (!(await isRepositoryRoot(dir))) await git(dir, ['init', '--quiet', `--initial-branch=${branch}`]);
}

/** Adds origin (or checks it matches) and optionally pushes the branch. */
export async function configureRemote(dir: string, url: string): Promise<void> {
  let current = '';
  try {
    current = (await git(dir, ['remote', 'get-url', 'origin'])).trim();
  } catch {
    current = '';
  }
  if (!current) await git(dir, ['remote', 'add', 'origin', url]);
  else if (current !== url) {
    throw new HavenPlusError(`git-remote: the repository's origin is ${JSON.stringify(current)}, not ${JSON.stringify(url)}; change it with git remote set-url first`);
  }
}

export async function push(dir: string, branch: string): Promise<void> {
  await git(dir, ['push', '--quiet', '--set-upstream', 'origin', `refs/heads/${branch}:refs/heads/${branch}`]);
}

/*
 * Day 2: git as the generator's memory (the "vendor branch" pattern). Every run records its pure
 * render as a commit of its own (trailer Haven-plus-render), whose parent is the previous render.
 * The branch then merges it: git's three-way merge against the previous render keeps every hand
 * edit, takes every generator change, and stops with conflict markers where both touched the same
 * lines. A user's file is never in a render, so it is never touched.
 */

export const RENDER_TRAILER = 'Haven-plus-render';
const GENERATED_TRAILER = 'Generated-by';
const RENDER_REF = 'refs/haven-plus/render';

/** The commit of the last render the branch contains: where hand edits are measured from. */
export async function findRenderBase(dir: string): Promise<string | undefined> {
  if (!(await hasHead(dir))) return undefined;
  for (const trailer of [RENDER_TRAILER, GENERATED_TRAILER]) {
    // Renders form a chain (each one's parent is the one before): topo order lists the newest first.
    // Repositories from before render commits existed fall back to the newest generator commit,
    // which then was a pure render.
    const sha = (await git(dir, ['log', '-1', '--topo-order', '--format=%H', `--grep=^${trailer}: `, 'HEAD'])).trim();
    if (sha) return sha;
  }
  return undefined;
}

export async function hasHead(dir: string): Promise<boolean> {
  if (!(await isRepositoryRoot(dir))) return false;
  const r = await execa('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: dir, reject: false, stdin: 'ignore' });
  return r.exitCode === 0;
}

export interface RenderCommit {
  sha: string;
  parent?: string;
}

/**
 * Records files as a commit of their own (one `git fast-import`, nothing in the work tree or the
 * index changes). The commit is reachable from a private ref until the branch has merged it.
 */
export async function commitRender(
  dir: string,
  files: Iterable<[string, string]>,
  opts: { parent?: string; message: string; author?: string },
): Promise<RenderCommit> {
  const who = await identity(dir, opts.author);
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const chunks: Buffer[] = [];
  const data = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  chunks.push(Buffer.from(`commit ${RENDER_REF}\nauthor ${who.name} <${who.email}> ${when}\ncommitter ${who.name} <${who.email}> ${when}\n`));
  data(opts.message);
  // A render's only parent is the previous render; the first has none (its ref is deleted below, so nothing continues it).
  if (opts.parent) chunks.push(Buffer.from(`from ${opts.parent}\n`));
  chunks.push(Buffer.from('deleteall\n'));
  for (const [path, content] of files) {
    chunks.push(Buffer.from(`M 100644 inline ${path}\n`));
    data(content);
  }
  if (!opts.parent) await execa('git', ['update-ref', '-d', RENDER_REF], { cwd: dir, reject: false, stdin: 'ignore' });
  try {
    await execa('git', ['fast-import', '--quiet', '--force', '--done'], { cwd: dir, input: Buffer.concat([...chunks, Buffer.from('done\n')]) });
  } catch (error) {
    throw new HavenPlusError(`git fast-import failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`);
  }
  const sha = (await git(dir, ['rev-parse', RENDER_REF])).trim();
  // The same render as last time: the branch already has it (merging it again changes nothing).
  if (opts.parent && (await treeOf(dir, sha)) === (await treeOf(dir, opts.parent))) return { sha: opts.parent, parent: opts.parent };
  return { sha, parent: opts.parent };
}

export interface MergeResult {
  /** The branch moved: to the render itself (fast-forward) or to a merge commit. */
  committed: boolean;
  sha?: string;
  author: string;
  usedFallbackAuthor: boolean;
  /** Paths where hand edits and the generator's changes overlap; the tree has conflict markers. */
  conflicts: string[];
}

/**
 * Brings a render into the branch. An unborn branch simply starts at it; otherwise git merges it
 * (fast-forward when nobody committed since the last render). `theirs` resolves overlapping hunks
 * in the generator's favour (--force). On conflicts nothing is committed and git is left in its
 * usual merge state: `git merge --abort` goes back, `git commit` concludes.
 */
export async function mergeRender(dir: string, render: RenderCommit, opts: { branch: string; message: string; author?: string; theirs?: boolean }): Promise<MergeResult> {
  const who = await identity(dir, opts.author);
  const author = `${who.name} <${who.email}>`;
  const env = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
  try {
    if (!(await hasHead(dir))) {
      // The files are already in the work tree (written by the generator): point the branch at the render, index to match.
      await git(dir, ['symbolic-ref', 'HEAD', `refs/heads/${opts.branch}`]);
      await git(dir, ['update-ref', `refs/heads/${opts.branch}`, render.sha]);
      await git(dir, ['reset', '--quiet']);
      return { committed: true, sha: await shortHead(dir), author, usedFallbackAuthor: who.fallback, conflicts: [] };
    }
    // The same render as last time: the branch has it already.
    if (render.sha === render.parent) return { committed: false, author, usedFallbackAuthor: who.fallback, conflicts: [] };
    const before = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    const args = ['-c', 'core.autocrlf=false', 'merge', '--quiet', '--no-edit', '--no-verify', '-m', opts.message];
    if (!render.parent) args.push('--allow-unrelated-histories');
    if (opts.theirs) args.push('-X', 'theirs');
    // Merged by its ref, so the conflict markers name the generator's side: >>>>>>> refs/haven-plus/render.
    const r = await execa('git', [...args, RENDER_REF], { cwd: dir, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) {
      const conflicts = (await git(dir, ['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
      if (conflicts.length === 0) throw new HavenPlusError(`git merge failed: ${(r.stderr || r.stdout).trim()}`);
      return { committed: false, author, usedFallbackAuthor: who.fallback, conflicts };
    }
    const after = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    return { committed: after !== before, sha: await shortHead(dir), author, usedFallbackAuthor: who.fallback, conflicts: [] };
  } finally {
    await execa('git', ['update-ref', '-d', RENDER_REF], { cwd: dir, reject: false, stdin: 'ignore' });
  }
}

/** What merging a render would do, without touching the work tree, the index or the branch. */
export async function previewMerge(dir: string, render: RenderCommit): Promise<{ changed: string[]; conflicts: string[] }> {
  try {
    const args = ['merge-tree', '--write-tree', '-z', '--name-only'];
    if (!render.parent) args.push('--allow-unrelated-histories');
    const r = await execa('git', [...args, 'HEAD', render.sha], { cwd: dir, reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new HavenPlusError(`git merge-tree failed: ${r.stderr.trim()}`);
    // Output: the result tree, then (on conflicts) the conflicted paths, then an empty field and messages.
    const [tree, ...rest] = r.stdout.split('\0');
    const conflicts = r.exitCode === 1 ? [...new Set(rest.slice(0, Math.max(0, rest.indexOf(''))))] : [];
    const changed = (await git(dir, ['diff', '--name-only', '-z', 'HEAD', tree])).split('\0').filter(Boolean);
    return { changed, conflicts };
  } finally {
    await execa('git', ['update-ref', '-d', RENDER_REF], { cwd: dir, reject: false, stdin: 'ignore' });
  }
}

async function treeOf(dir: string, commit: string): Promise<string> {
  return (await git(dir, ['rev-parse', `${commit}^{tree}`])).trim();
}

async function shortHead(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', '--short', 'HEAD'])).trim();
}
