/**
 * Git at the edge: init, render commits, merges, remote, push. Every call passes arguments as an
 * array (no shell), so no answer can inject a command, and every child gets the environment without
 * the secret values this run holds (hooks run by git see none of them).
 */
import { execa, type Options as ExecaOptions } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { HavenPlusError, MachineError, PushError } from './errors.js';

const FALLBACK_AUTHOR = { name: 'haven-plus', email: 'haven-plus@localhost.invalid' };

/** Variables no child process needs: the secret values a run reads (lib/secrets/values.ts) and an age private key. */
const PRIVATE_VARIABLE = /^(HAVEN_PLUS_SECRET_|SOPS_AGE_KEY$)/;
/** Variables that would point git at another repository than the one it is run in (set when haven-plus runs from a hook). */
const REPOSITORY_VARIABLE = /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX)$/;

/** The environment children get: this process's, minus the secret values; plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PRIVATE_VARIABLE.test(k) && !REPOSITORY_VARIABLE.test(k)) env[k] = v;
  return { ...env, ...extra };
}

interface GitOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  /** Milliseconds before git is stopped (default: none). */
  timeout?: number;
  /** Output as bytes (sizes from git count bytes). */
  binary?: boolean;
  /**
   * In the terminal's process group (only push: ssh may ask for a passphrase there). Every other git
   * runs in a group of its own, so Ctrl-C reaches only haven-plus, which stops between git commands.
   */
  attached?: boolean;
}

function run(cwd: string, args: string[], opts: GitOptions = {}, reject = true) {
  return execa('git', args, execaOptions(cwd, opts, reject)).catch((error: { code?: string }) => {
    if (error.code === 'ENOENT') throw gitMissing();
    throw error;
  });
}

function execaOptions(cwd: string, opts: GitOptions, reject: boolean): ExecaOptions {
  return {
    cwd,
    env: childEnv({ GIT_TERMINAL_PROMPT: '0', ...opts.env }),
    extendEnv: false,
    detached: !opts.attached,
    reject,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.timeout ? { timeout: opts.timeout, killSignal: 'SIGKILL' as const } : {}),
    ...(opts.binary ? { encoding: 'buffer' as const } : {}),
  };
}

function gitMissing(): MachineError {
  return new MachineError('git is not installed or not on PATH: haven-plus commits with git. Install git (2.28 or later), or pass --no-git to only write the files.');
}

async function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  try {
    const { stdout } = await run(cwd, args, opts);
    return String(stdout);
  } catch (error) {
    if (error instanceof HavenPlusError) throw error;
    const e = error as { stderr?: string; shortMessage?: string };
    const detail = (e.stderr || e.shortMessage || String(error)).trim();
    if (/No space left on device/i.test(detail)) throw new MachineError(`git ${args[0]} failed: no space left on the device holding ${cwd}. Free some space and run the same command again.`);
    throw new HavenPlusError(`git ${args[0]} failed: ${detail}`);
  }
}

/** The oldest git this tool runs with: `git init --initial-branch` (2.28) and `%(trailers:key=…,valueonly)`. */
const MINIMUM_GIT = [2, 28];

/** Checks that git is installed and recent enough; a clear stop (exit 4) otherwise. */
export async function checkGit(): Promise<void> {
  const out = await git(process.cwd(), ['--version']);
  const m = /(\d+)\.(\d+)/.exec(out);
  if (m && (Number(m[1]) < MINIMUM_GIT[0] || (Number(m[1]) === MINIMUM_GIT[0] && Number(m[2]) < MINIMUM_GIT[1]))) {
    throw new MachineError(`${out.trim()} is too old: haven-plus needs git ${MINIMUM_GIT.join('.')} or later. Upgrade git, or pass --no-git to only write the files.`);
  }
}

/** Whether dir is the top level of a git work tree (not merely inside one). */
export async function isRepositoryRoot(dir: string): Promise<boolean> {
  return existsSync(join(dir, '.git'));
}

/** The git directory of a repository root (`.git`, or where a `.git` file points for worktrees), if any. */
export function gitDirOf(dir: string): string | undefined {
  const dotGit = join(dir, '.git');
  if (!existsSync(dotGit)) return undefined;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!m) return undefined;
  return isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]);
}

/** The git directory worktrees share (refs, objects): the git directory itself, or what its `commondir` names. */
export function commonGitDirOf(dir: string): string | undefined {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return undefined;
  const file = join(gitDir, 'commondir');
  if (!existsSync(file)) return gitDir;
  const common = readFileSync(file, 'utf8').trim();
  return isAbsolute(common) ? common : resolve(gitDir, common);
}

/** The top level of the work tree containing dir (or its nearest existing ancestor), if any. */
export async function enclosingRepository(dir: string): Promise<string | undefined> {
  let probe = dir;
  while (!existsSync(probe)) probe = dirname(probe);
  if (!statSync(probe).isDirectory()) return undefined;
  const r = await run(probe, ['rev-parse', '--show-toplevel'], {}, false);
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

/** Porcelain status lines of uncommitted changes (empty when clean). */
export async function uncommittedChanges(dir: string): Promise<string[]> {
  const out = await git(dir, ['status', '--porcelain', '--untracked-files=all']);
  return out.split('\n').filter((l) => l.length > 0);
}

/** Where the branch stands: its name, or a detached HEAD (a commit there would belong to no branch). */
export async function branchState(dir: string): Promise<{ branch?: string; detachedAt?: string }> {
  const r = await run(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'], {}, false);
  if (r.exitCode === 0) return { branch: String(r.stdout).trim() };
  return { detachedAt: (await git(dir, ['rev-parse', '--short', 'HEAD'])).trim() };
}

function parseAuthor(author: string): { name: string; email: string } {
  const m = /^(.*) <(.*)>$/.exec(author)!;
  return { name: m[1], email: m[2] };
}

async function identity(dir: string, author?: string): Promise<{ name: string; email: string; fallback: boolean }> {
  if (author) return { ...parseAuthor(author), fallback: false };
  const read = async (key: string) => {
    const r = await run(dir, ['config', '--get', key], {}, false);
    return r.exitCode === 0 ? String(r.stdout).trim() : '';
  };
  const [name, email] = [process.env.GIT_AUTHOR_NAME || (await read('user.name')), process.env.GIT_AUTHOR_EMAIL || (await read('user.email'))];
  if (name && email) return { name, email, fallback: false };
  return { ...FALLBACK_AUTHOR, fallback: true };
}

function identityEnv(who: { name: string; email: string }): Record<string, string> {
  return { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
}

/** Initialises a repository (unborn branch) unless dir already is one. */
export async function initRepository(dir: string, branch: string): Promise<void> {
  if (!(await isRepositoryRoot(dir))) await git(dir, ['init', '--quiet', `--initial-branch=${branch}`]);
}

/**
 * Adds origin when the repository has none. An origin of its own is left alone (a clone over
 * another protocol, a mirror): the returned line says so when it is not the address the clusters pull.
 */
export async function configureRemote(dir: string, url: string): Promise<string | undefined> {
  const r = await run(dir, ['remote', 'get-url', 'origin'], {}, false);
  const current = r.exitCode === 0 ? String(r.stdout).trim() : '';
  if (!current) await git(dir, ['remote', 'add', 'origin', url]);
  else if (current !== url) return `origin is ${current}; the clusters pull from ${url} (--git-remote): make sure both are the same repository`;
  return undefined;
}

/** Pushes the branch, stopping git after `timeoutSeconds`; the local commit stays either way (exit 6 on failure). */
export async function push(dir: string, branch: string, timeoutSeconds: number): Promise<void> {
  const later = `The commit is kept locally; push it when the remote answers: git push --set-upstream origin ${branch}`;
  const child = execa('git', ['push', '--quiet', '--set-upstream', 'origin', `refs/heads/${branch}:refs/heads/${branch}`], execaOptions(dir, { attached: true }, false));
  let timedOut = false;
  // git push leaves the talking to a helper (git-remote-https, ssh) that keeps the output open: stop them all.
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) void killTree(child.pid);
  }, timeoutSeconds * 1000);
  const r = await child.finally(() => clearTimeout(timer));
  if (timedOut) throw new PushError(`push: the remote did not answer within ${timeoutSeconds} s (--push-timeout). ${later}`);
  if (r.exitCode === 0) return;
  const why = String(r.stderr).trim() || `git exited with ${r.exitCode}`;
  if (/\[rejected\]|fetch first|non-fast-forward/.test(why)) {
    throw new PushError(`push: the remote's ${branch} has commits this clone does not have:\n${why}\n  The commit is kept locally. Bring them in (git pull --rebase), then git push.`);
  }
  throw new PushError(`push failed: ${why}\n  ${later}`);
}

/** The processes pid started: from /proc where there is one (Linux), else from pgrep -P (macOS, BSD). */
async function childrenOf(pid: number): Promise<number[]> {
  if (existsSync('/proc/self/stat')) {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }
  return execa('pgrep', ['-P', String(pid)], { reject: false, env: childEnv(), extendEnv: false })
    .then((r) => String(r.stdout).split('\n').filter(Boolean).map(Number))
    .catch(() => [] as number[]);
}

/** Kills a process and everything it started, children first. */
async function killTree(pid: number): Promise<void> {
  for (const c of await childrenOf(pid)) await killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/*
 * Day 2: git as the generator's memory (the "vendor branch" pattern). Every run records its pure
 * render as a commit of its own: trailers Haven-plus-render (the version) and Haven-plus-render-tree
 * (the tree it rendered), parent the previous render. The branch then merges it three-way against
 * the previous render: every hand edit is kept, every generator change taken, and the run stops
 * with conflict markers where both touched the same lines. A user's file is never in a render.
 *
 * The base is only ever a tree the generator rendered: a render commit found on the branch is used
 * only if its tree is the one its trailer records (a rebase, amend or cherry-pick that folded
 * someone's edit into it changes the tree). Every render of this clone is also kept under
 * refs/haven-plus/renders, where no rewrite of the branch reaches it, so a rewritten render's own
 * tree is usually still at hand; otherwise an older verified render is the base, which is safe
 * (changes both sides share merge cleanly) but may report more overlaps.
 */

export const RENDER_TRAILER = 'Haven-plus-render';
export const RENDER_TREE_TRAILER = 'Haven-plus-render-tree';
/** How conflict markers name the generator's side (merge-recursive's GITHEAD_<sha> label). */
export const RENDER_LABEL = 'refs/haven-plus/render';
/** Every render this clone made: out of reach of rebases, and kept from gc. */
const RENDERS_REF = 'refs/haven-plus/renders';

let scratchRefs = 0;
/** A ref of this run's own (worktrees and concurrent runs never share one). */
function scratchRef(): string {
  return `refs/haven-plus/tmp/${process.pid}-${++scratchRefs}`;
}

const emptyTrees = new Map<string, string>();
/** The empty tree of this repository's object format (SHA-1 or SHA-256), written (once per run). */
async function emptyTree(dir: string): Promise<string> {
  if (!emptyTrees.has(dir)) emptyTrees.set(dir, (await git(dir, ['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' })).trim());
  return emptyTrees.get(dir)!;
}

export interface RenderBase {
  /** The tree the generator rendered last time: where hand edits are measured from. */
  tree: string;
  /** A render commit with that tree (the new render's parent), when one exists in this clone. */
  commit?: string;
  /** Why the base is not simply the last render commit on the branch (shown to the user). */
  note?: string;
}

interface Candidate {
  sha: string;
  tree: string;
  recordedTree?: string;
}

/**
 * Renders again what a render commit recorded (its answers, at this generator's version), given the
 * files of that commit; undefined when it cannot (another version, answers that no longer resolve).
 */
export type Rebuild = (files: ReadonlyMap<string, string>) => Iterable<[string, string]> | undefined;

/**
 * The last render the branch contains, verified: a commit with the render trailers (in its trailer
 * block, not merely in its message) whose tree is the one it records. A rewritten render whose
 * tree is not in this clone is rebuilt (`rebuild`: same answers, same version, same bytes) and used
 * when the rebuilt tree is exactly the recorded one. Undefined when the branch has no render.
 */
export async function findRenderBase(dir: string, rebuild?: Rebuild): Promise<RenderBase | undefined> {
  if (!(await hasHead(dir))) return undefined;
  const format = `%H%x00%T%x00%(trailers:key=${RENDER_TRAILER},valueonly,separator=%x20)%x00%(trailers:key=${RENDER_TREE_TRAILER},valueonly,separator=%x20)%x1e`;
  const out = await git(dir, ['log', '--topo-order', `--format=${format}`, `--grep=^${RENDER_TRAILER}: `, 'HEAD']);
  const candidates: Candidate[] = out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => r.split('\0'))
    .filter(([, , version]) => version.trim() !== '')
    .map(([sha, tree, , recorded]) => ({ sha, tree, recordedTree: recorded.trim() || undefined }));
  const short = (sha: string) => sha.slice(0, 12);
  // Only a commit whose tree is the one it records is a render as the generator made it (commits from before
  // the tree trailer cannot show that, and are not trusted).
  const isVerified = (c: Candidate) => c.recordedTree !== undefined && c.tree === c.recordedTree;
  // A rewritten copy of a render the branch also holds intact (merged back in by a later run) says nothing new.
  const intact = new Set(candidates.filter(isVerified).map((c) => c.tree));
  let rewritten: Candidate | undefined;
  // Topological order: a render comes before the renders it was made on.
  for (const c of candidates) {
    if (isVerified(c)) {
      const note = rewritten
        ? `the render commit ${short(rewritten.sha)} was rewritten (a rebase, amend, cherry-pick or squash put other changes into it) and its rendered tree could not be recovered: your edits are measured from the older render ${short(c.sha)}, so overlaps may be reported that are not new`
        : undefined;
      return { tree: c.tree, commit: c.sha, note };
    }
    if (c.recordedTree && intact.has(c.recordedTree)) continue;
    rewritten ??= c;
    if (!c.recordedTree) continue;
    const why = `the render commit ${short(c.sha)} was rewritten (a rebase, amend, cherry-pick or squash put other changes into it)`;
    if (await objectExists(dir, `${c.recordedTree}^{tree}`)) {
      return {
        tree: c.recordedTree,
        commit: await renderWithTree(dir, c.recordedTree),
        note: `${why}: your edits are measured from the tree the generator rendered (${short(c.recordedTree)}), kept under ${RENDERS_REF}`,
      };
    }
    const again = rebuild?.(await filesOf(dir, c.sha));
    if (again && (await writeTree(dir, again)) === c.recordedTree) {
      return { tree: c.recordedTree, note: `${why}: your edits are measured from its render, rebuilt from the answers it recorded (the same tree, ${short(c.recordedTree)})` };
    }
  }
  return rewritten
    ? {
        tree: await emptyTree(dir),
        note: `no render commit on this branch is as the generator made it (${short(rewritten.sha)} was rewritten, or made by a version that did not record its tree): every file that differs from the new render is reported as an overlap`,
      }
    : undefined;
}

/** What a commit changed against its first parent: each path, added, changed or removed (renames as a removal and an addition). */
export async function changedFiles(dir: string, commit: string): Promise<{ path: string; change: 'added' | 'changed' | 'removed' }[]> {
  // Against the first parent only (a merge's other parent is the render it brought in); a root commit against nothing.
  const parent = (await git(dir, ['rev-list', '--parents', '-n', '1', commit])).trim().split(' ')[1];
  const out = parent
    ? await git(dir, ['diff', '-z', '--no-renames', '--name-status', parent, commit])
    : await git(dir, ['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', '--name-status', '--root', commit]);
  const fields = out.split('\0').filter((f) => f !== '');
  const changes: { path: string; change: 'added' | 'changed' | 'removed' }[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) changes.push({ path: fields[i + 1], change: fields[i] === 'A' ? 'added' : fields[i] === 'D' ? 'removed' : 'changed' });
  return changes;
}

/** Every file of a commit (path → text), read in one `git cat-file --batch`. */
export async function filesOf(dir: string, commit: string): Promise<Map<string, string>> {
  const paths = (await git(dir, ['ls-tree', '-r', '-z', '--name-only', commit])).split('\0').filter(Boolean);
  const { stdout } = await run(dir, ['cat-file', '--batch'], { input: paths.map((p) => `${commit}:${p}\n`).join(''), binary: true });
  const out = Buffer.from(stdout as unknown as Uint8Array);
  const files = new Map<string, string>();
  let at = 0;
  for (const path of paths) {
    const eol = out.indexOf(10, at);
    const size = Number(out.subarray(at, eol).toString('latin1').split(' ')[2]);
    files.set(path, out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return files;
}

/** Writes files as a tree object (one `git fast-import`) and returns its id. */
async function writeTree(dir: string, files: Iterable<[string, string]>): Promise<string> {
  const ref = scratchRef();
  await importFiles(dir, ref, files, FALLBACK_AUTHOR);
  try {
    return (await git(dir, ['rev-parse', `${ref}^{tree}`])).trim();
  } finally {
    await run(dir, ['update-ref', '-d', ref], {}, false);
  }
}

/** One `git fast-import` of files as the only content of a commit at ref (objects only: nothing else changes). */
async function importFiles(dir: string, ref: string, files: Iterable<[string, string]>, who: { name: string; email: string }): Promise<void> {
  const chunks: Buffer[] = [];
  const data = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  chunks.push(Buffer.from(`commit ${ref}\ncommitter ${who.name} <${who.email}> ${Math.floor(Date.now() / 1000)} +0000\n`));
  data('tree');
  chunks.push(Buffer.from('deleteall\n'));
  for (const [path, content] of files) {
    chunks.push(Buffer.from(`M 100644 inline ${path}\n`));
    data(content);
  }
  try {
    await run(dir, ['fast-import', '--quiet', '--force', '--done'], { input: Buffer.concat([...chunks, Buffer.from('done\n')]) });
  } catch (error) {
    if (error instanceof HavenPlusError) throw error;
    throw new HavenPlusError(`git fast-import failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`);
  }
}

async function objectExists(dir: string, spec: string): Promise<boolean> {
  return (await run(dir, ['cat-file', '-e', spec], {}, false)).exitCode === 0;
}

/** The render commit of this clone whose tree is `tree` (under RENDERS_REF), if any. */
async function renderWithTree(dir: string, tree: string): Promise<string | undefined> {
  if (!(await objectExists(dir, RENDERS_REF))) return undefined;
  const out = await git(dir, ['log', '--format=%H %T', RENDERS_REF]);
  return out
    .split('\n')
    .map((l) => l.split(' '))
    .find(([, t]) => t === tree)?.[0];
}

/**
 * Waits for git's index lock to go: a git command of a run that was killed may still be finishing
 * (its children outlive it). One that stays is reported, with the way out git itself gives.
 */
export async function settleIndex(dir: string, waitMs = 10_000): Promise<void> {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return;
  const lock = join(gitDir, 'index.lock');
  for (const deadline = Date.now() + waitMs; existsSync(lock); ) {
    if (Date.now() >= deadline) {
      throw new HavenPlusError(`git's ${lock} has been there for ${Math.round(waitMs / 1000)} s: another git command is working in this repository, or one was killed. If none is running, remove the file and run again.`, 5);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function hasHead(dir: string): Promise<boolean> {
  if (!(await isRepositoryRoot(dir))) return false;
  return (await run(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'], {}, false)).exitCode === 0;
}

export interface RenderCommit {
  sha: string;
  tree: string;
  /** The render is the base's tree again. */
  unchanged: boolean;
  /** Its parent: the base's render commit, or HEAD when HEAD is still exactly the base (the branch then fast-forwards). */
  parent?: string;
}

/**
 * Records files as a commit of their own (nothing in the work tree or the index changes): its
 * tree by one `git fast-import`, then the commit with the tree in its trailer, parent the base's
 * render commit. `keep` (not for dry runs) adds it to the renders this clone keeps.
 */
export async function commitRender(
  dir: string,
  files: Iterable<[string, string]>,
  opts: { base?: RenderBase; message: string; author?: string; keep: boolean },
): Promise<RenderCommit> {
  const who = await identity(dir, opts.author);
  const tree = await writeTree(dir, files);
  if (opts.base && opts.base.tree === tree && opts.base.commit) return { sha: opts.base.commit, tree, unchanged: true };
  const message = `${opts.message}\n${RENDER_TREE_TRAILER}: ${tree}\n`;
  // Nobody changed anything since the base (not even by a merge commit): the render continues the branch itself.
  const head = opts.base && (await hasHead(dir)) ? (await git(dir, ['rev-parse', 'HEAD', 'HEAD^{tree}'])).split('\n').map((l) => l.trim()) : [];
  const parent = head[1] === opts.base?.tree ? head[0] : opts.base?.commit;
  const sha = (await git(dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], { input: message, env: identityEnv(who) })).trim();
  if (opts.keep) await keepRender(dir, sha);
  return { sha, tree, unchanged: opts.base?.tree === tree, parent };
}

/** Adds a render to the ones this clone keeps (RENDERS_REF: a chain of keeper commits whose second parent is a render). */
async function keepRender(dir: string, render: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const found = await run(dir, ['rev-parse', '--verify', '--quiet', RENDERS_REF], {}, false);
    const previous = found.exitCode === 0 ? String(found.stdout).trim() : undefined;
    const parents = [...(previous ? ['-p', previous] : []), '-p', render];
    const keeper = (await git(dir, ['commit-tree', await emptyTree(dir), ...parents, '-m', 'haven-plus: renders of this clone'], { env: identityEnv(FALLBACK_AUTHOR) })).trim();
    // Only if nobody moved it meanwhile (a worktree's run): otherwise read it again.
    const r = await run(dir, ['update-ref', RENDERS_REF, keeper, previous ?? ''], {}, false);
    if (r.exitCode === 0) return;
    if (attempt >= 5) throw new HavenPlusError(`git update-ref ${RENDERS_REF} failed: ${String(r.stderr).trim()}`);
  }
}

export interface MergeResult {
  /** The branch moved: to the render itself (fast-forward) or to a merge commit. */
  committed: boolean;
  sha?: string;
  /** The branch the commit is on. */
  branch: string;
  author: string;
  usedFallbackAuthor: boolean;
  /** Paths where hand edits and the generator's changes overlap; the tree has conflict markers. */
  conflicts: string[];
  /** Said to the user: why the base was not the last render (a revert of it, say). */
  note?: string;
}

/**
 * Brings a render into the branch. An unborn branch starts at it (the files are in the work tree
 * already); a branch still at the base fast-forwards; otherwise the merge is computed apart (a
 * scratch index and work tree inside the git directory), committed, and the branch fast-forwarded
 * to it in one git command, so an interruption leaves the old state or the new. On overlaps
 * nothing is committed and git is left in its usual merge state (MERGE_HEAD, ORIG_HEAD): `git
 * merge --abort` goes back, `git commit` concludes. `theirs` resolves overlapping hunks in the
 * generator's favour.
 */
export async function mergeRender(
  dir: string,
  render: RenderCommit,
  opts: { base?: RenderBase; branch: string; message: string; author?: string; theirs?: boolean; rebuild?: Rebuild },
): Promise<MergeResult> {
  const who = await identity(dir, opts.author);
  const result = { author: `${who.name} <${who.email}>`, usedFallbackAuthor: who.fallback, conflicts: [] as string[] };
  if (!(await hasHead(dir))) {
    // Index first, then the branch: stopped in between, the branch is still unborn and a re-run starts over.
    await git(dir, ['read-tree', render.sha]);
    await git(dir, ['symbolic-ref', 'HEAD', `refs/heads/${opts.branch}`]);
    await git(dir, ['update-ref', `refs/heads/${opts.branch}`, render.sha]);
    return { ...result, committed: true, sha: await shortHead(dir), branch: opts.branch };
  }
  const branch = (await branchState(dir)).branch!;
  const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
  const plan = await planMerge(dir, head, render, opts.base, opts.rebuild, opts.theirs === true);
  if (plan.nothing) return { ...result, committed: false, branch };
  if (plan.fastForward) {
    await git(dir, ['-c', 'core.autocrlf=false', 'merge', '--ff-only', '--quiet', render.sha]);
    return { ...result, committed: true, sha: await shortHead(dir), branch };
  }
  if (plan.conflicts.length > 0) {
    await enterMergeState(dir, plan.baseTree, render.sha, opts.message, opts.theirs === true, plan.conflicts);
    return { ...result, committed: false, branch, conflicts: plan.conflicts, note: plan.note };
  }
  const target = (await git(dir, ['commit-tree', plan.tree!, '-p', head, '-p', render.sha, '-F', '-'], { input: `${opts.message}\n`, env: identityEnv(who) })).trim();
  await git(dir, ['-c', 'core.autocrlf=false', 'merge', '--ff-only', '--quiet', target]);
  return { ...result, committed: true, sha: await shortHead(dir), branch, note: plan.note };
}

interface MergePlan {
  /** The branch already has the render: nothing to do. */
  nothing?: boolean;
  /** The render continues the branch itself. */
  fastForward?: boolean;
  baseTree: string;
  tree?: string;
  changed: string[];
  conflicts: string[];
  note?: string;
}

/**
 * What bringing a render into HEAD means, decided once for the real run and the dry run alike: the
 * base (the last render; or, when the branch holds other answers than that render, what the
 * branch's answers render, but only where the branch already holds all of that), and the merge.
 */
async function planMerge(dir: string, head: string, render: RenderCommit, base: RenderBase | undefined, rebuild: Rebuild | undefined, theirs: boolean): Promise<MergePlan> {
  let baseTree = base?.tree ?? (await emptyTree(dir));
  let note: string | undefined;
  if (render.unchanged) {
    // The same render as last time. The branch has it, unless it holds other answers than the render (it was
    // reverted, or a merge kept older answers): then the base is what the branch's answers render.
    if (await sameAnswers(dir, head, render.sha)) return { nothing: true, baseTree, changed: [], conflicts: [] };
    const rebuilt = await rebuildAt(dir, head, rebuild);
    // Answers that render the same (reformatted, a key of another generator added): nothing to bring.
    if (rebuilt === render.tree) return { nothing: true, baseTree, changed: [], conflicts: [] };
    if (!rebuilt || !(await holds(dir, head, rebuilt, baseTree))) {
      throw new HavenPlusError(
        `the branch does not hold the answers of the last render (${render.sha.slice(0, 12)}), although this run renders the same again: ` +
          `its ${ANSWERS_FILE} was reverted, merged away or edited, and the generator cannot tell which files to bring back.\n` +
          `  Revert the revert (git revert <commit>) to get the render back, or restore ${ANSWERS_FILE} (git checkout ${render.sha.slice(0, 12)} -- ${ANSWERS_FILE}), commit, and run again.`,
      );
    }
    baseTree = rebuilt;
    note = `the branch's ${ANSWERS_FILE} is not the last render's (it was reverted, or a merge kept other answers): the render is applied again, measured from what the branch's answers render`;
  } else if (head === render.parent) {
    return { fastForward: true, baseTree, changed: await changedBetween(dir, head, render.sha), conflicts: [] };
  }
  let merged = await mergeApart(dir, baseTree, render.sha, theirs);
  if (merged.conflicts.length > 0 && base && !note && !(await sameAnswers(dir, head, base.tree))) {
    // The branch holds other answers than the base rendered (a squash merge of a run): measured from what the
    // branch's answers render, the overlaps may go. Only if the branch already holds everything that rendering
    // changed (so nothing the user asked for is taken for done), and only if every overlap goes.
    const rebuilt = await rebuildAt(dir, head, rebuild);
    if (rebuilt && rebuilt !== baseTree && rebuilt !== render.tree && (await holds(dir, head, rebuilt, baseTree))) {
      const retried = await mergeApart(dir, rebuilt, render.sha, theirs);
      if (retried.conflicts.length === 0) {
        [baseTree, merged] = [rebuilt, retried];
        note = `the branch's ${ANSWERS_FILE} is not the last render's (a squash merge of a run): your edits are measured from what the branch's answers render`;
      }
    }
  }
  return { baseTree, tree: merged.tree, changed: merged.changed, conflicts: merged.conflicts, note };
}

const ANSWERS_FILE = '.yo-rc.json';

/** The tree of what a commit's answers render (its files given to `rebuild`), if it can be rendered. */
async function rebuildAt(dir: string, commit: string, rebuild: Rebuild | undefined): Promise<string | undefined> {
  const files = rebuild?.(await filesOf(dir, commit));
  return files ? writeTree(dir, files) : undefined;
}

/** Whether two commits (or trees) hold the same answers: .yo-rc.json parsed, key order and layout aside. */
async function sameAnswers(dir: string, a: string, b: string): Promise<boolean> {
  const read = async (at: string) => {
    const r = await run(dir, ['cat-file', 'blob', `${at}:${ANSWERS_FILE}`], {}, false);
    if (r.exitCode !== 0) return undefined;
    try {
      return canonical(JSON.parse(String(r.stdout)));
    } catch {
      return `unparsable:${String(r.stdout)}`;
    }
  };
  return (await read(a)) === (await read(b));
}

/** JSON with object keys sorted, for comparing content rather than layout. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether `commit` holds, path for path, everything `tree` changed relative to `from`. */
async function holds(dir: string, commit: string, tree: string, from: string): Promise<boolean> {
  const paths = (await git(dir, ['diff', '--name-only', '-z', from, tree])).split('\0').filter(Boolean);
  if (paths.length === 0) return true;
  const r = await run(dir, ['diff', '--quiet', tree, commit, '--', ...paths.map((p) => `:(literal)${p}`)], {}, false);
  return r.exitCode === 0;
}

async function changedBetween(dir: string, a: string, b: string): Promise<string[]> {
  return (await git(dir, ['diff', '--name-only', '-z', a, b])).split('\0').filter(Boolean);
}

/** What merging a render would do, without touching the work tree, the index or the branch (the same plan as the run). */
export async function previewMerge(dir: string, render: RenderCommit, base: RenderBase | undefined, rebuild?: Rebuild): Promise<{ changed: string[]; conflicts: string[]; note?: string }> {
  const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
  const plan = await planMerge(dir, head, render, base, rebuild, false);
  return plan.nothing ? { changed: [], conflicts: [] } : { changed: plan.changed, conflicts: plan.conflicts, note: plan.note };
}

/** merge-recursive names a side given by its id after GITHEAD_<id>: the markers say refs/haven-plus/render. */
const labelled = (render: string) => ({ [`GITHEAD_${render}`]: RENDER_LABEL });

/**
 * The three-way merge of HEAD and the render against the base tree, in a scratch index and work
 * tree inside the git directory (`git merge-recursive` takes any tree as the base, on every git
 * version this tool supports, up to 2.55 where it runs merge-ort). The user's work tree, index and
 * branch are untouched.
 */
async function mergeApart(dir: string, baseTree: string, render: string, theirs: boolean): Promise<{ tree?: string; changed: string[]; conflicts: string[] }> {
  const scratch = join(gitDirOf(dir)!, 'haven-plus', `merge-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(scratch, 'work'), { recursive: true });
  const env = { GIT_INDEX_FILE: join(scratch, 'index'), GIT_WORK_TREE: join(scratch, 'work'), ...labelled(render) };
  try {
    await git(dir, ['read-tree', 'HEAD'], { env });
    const r = await run(dir, ['merge-recursive', ...(theirs ? ['--theirs'] : []), baseTree, '--', 'HEAD', render], { env }, false);
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new HavenPlusError(`git merge-recursive failed: ${String(r.stderr || r.stdout).trim()}`);
    const changed = (await git(dir, ['diff', '--cached', '--name-only', '-z', 'HEAD'], { env })).split('\0').filter(Boolean);
    const conflicts = await unmergedPaths(dir, env);
    if (conflicts.length > 0) return { changed, conflicts };
    return { tree: (await git(dir, ['write-tree'], { env })).trim(), changed, conflicts };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function unmergedPaths(dir: string, env: Record<string, string> = {}): Promise<string[]> {
  const out = await git(dir, ['ls-files', '--unmerged', '-z'], { env });
  return [...new Set(out.split('\0').filter(Boolean).map((l) => l.split('\t')[1]))].sort();
}

/**
 * Leaves the repository as `git merge` does on overlaps. The merge state first (ORIG_HEAD,
 * MERGE_MSG, MERGE_MODE, MERGE_HEAD), so that whenever the run stops from here on, git knows a merge
 * is in progress and `git merge --abort` goes back; then the merge in the work tree, checked: the
 * same overlaps as computed apart. If the work tree cannot take it, it is put back and the merge
 * state removed.
 */
async function enterMergeState(dir: string, baseTree: string, render: string, message: string, theirs: boolean, expected: string[]): Promise<void> {
  const gitDir = gitDirOf(dir)!;
  const state = ['MERGE_MSG', 'MERGE_MODE', 'MERGE_HEAD'].map((f) => join(gitDir, f));
  await git(dir, ['update-ref', 'ORIG_HEAD', 'HEAD']);
  writeFileSync(state[0], `${message}\n`);
  writeFileSync(state[1], 'no-ff');
  writeFileSync(state[2], `${render}\n`);
  const r = await run(dir, ['-c', 'core.autocrlf=false', 'merge-recursive', ...(theirs ? ['--theirs'] : []), baseTree, '--', 'HEAD', render], { env: labelled(render) }, false);
  const conflicts = await unmergedPaths(dir);
  if (r.exitCode !== 1 || conflicts.join('\n') !== expected.join('\n')) {
    await run(dir, ['reset', '--merge'], {}, false);
    for (const f of state) rmSync(f, { force: true });
    throw new HavenPlusError(`git could not merge the render into the work tree, so nothing was changed: ${String(r.stderr || r.stdout).trim() || `merge-recursive exited ${r.exitCode}`}`);
  }
}

async function shortHead(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', '--short', 'HEAD'])).trim();
}
