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

export interface CommitResult {
  committed: boolean;
  sha?: string;
  author: string;
  usedFallbackAuthor: boolean;
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

/** Initialises the repository when needed and commits everything in it; no commit when nothing changed. */
export async function commitAll(dir: string, opts: { branch: string; message: string; author?: string }): Promise<CommitResult> {
  if (!(await isRepositoryRoot(dir))) await git(dir, ['init', '--quiet', `--initial-branch=${opts.branch}`]);
  await git(dir, ['add', '--all']);
  const staged = await git(dir, ['diff', '--cached', '--name-only']);
  const who = await identity(dir, opts.author);
  const author = `${who.name} <${who.email}>`;
  if (staged.trim().length === 0) return { committed: false, author, usedFallbackAuthor: who.fallback };
  const env = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
  await git(dir, ['commit', '--quiet', '--no-verify', '-m', opts.message], env);
  const sha = (await git(dir, ['rev-parse', '--short', 'HEAD'])).trim();
  return { committed: true, sha, author, usedFallbackAuthor: who.fallback };
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

