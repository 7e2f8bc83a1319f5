/**
 * Bringing a render into the target directory: what to write, in which order, and the commit.
 * The Yeoman generator maps its phases onto these; the fault-injection test drives them directly.
 *
 * The order is what makes a stopped run harmless:
 * - a first run writes `.yo-rc.json` first: from then on the directory is a haven-plus repository
 *   whose answers say what the files should be, and a plain re-run finishes it;
 * - a re-run writes `.yo-rc.json` last: until then the files are measured against the answers
 *   they were made from, so none of them looks edited by hand;
 * - the branch is set last, in one step, after every file is written.
 */
import type { FileSet } from './fileset.js';
import { commitRender, initRepository, mergeRender, settleIndex, type MergeResult, type Rebuild, type RenderBase } from './git.js';
import { checkSpace, readSafely, writeFiles, type WriteOptions } from './write.js';

export interface WritePlan {
  /** Files to write: new, or as the generator left them (equal to the base). */
  writes: [string, string][];
  /** Files the generator wrote before that the render no longer has, unchanged since: removed. */
  removes: string[];
  /** Files that differ from both the base and the new render: edited by hand. */
  edited: string[];
}

/**
 * Compares the new render with the directory and the base (the render of the answers the
 * directory was made from; none on a first run). Never reads through a link leaving the target.
 */
export function planWrites(target: string, files: FileSet, base: FileSet | undefined): WritePlan {
  const plan: WritePlan = { writes: [], removes: [], edited: [] };
  for (const [p, content] of files.entries()) {
    const current = readSafely(target, p);
    if (current === content) continue;
    if (current === undefined || base?.get(p) === current) plan.writes.push([p, content]);
    else plan.edited.push(p);
  }
  plan.removes = (base?.paths() ?? []).filter((p) => !files.has(p) && readSafely(target, p) === base!.get(p));
  return plan;
}

const ANSWERS = '.yo-rc.json';

/** Writes a plan (plus the edited files chosen to be overwritten) in the order above; returns the files written. */
export function applyWrites(target: string, plan: WritePlan, opts: WriteOptions & { firstRun: boolean }): number {
  const isAnswers = ([p]: [string, string]) => p === ANSWERS;
  const answers = plan.writes.filter(isAnswers);
  const rest = plan.writes.filter((w) => !isAnswers(w));
  checkSpace(target, plan.writes.reduce((n, [, c]) => n + Buffer.byteLength(c), 0));
  let written = 0;
  const step = (writes: [string, string][], removes: string[]) => {
    const stop = opts.stop;
    written += writeFiles(target, writes, removes, { ...opts, stop: stop && ((n) => stop(written + n)) }).written;
  };
  if (opts.firstRun) step([...answers, ...rest], plan.removes);
  else {
    step(rest, plan.removes);
    step(answers, []);
  }
  return written;
}

/**
 * Commits a render: a first run's files (already in the work tree) become the branch's first
 * commit; later runs merge it (lib/git.ts). `base` is the last render the branch contains.
 */
export async function commitRun(
  target: string,
  files: FileSet,
  opts: { base?: RenderBase; branch: string; renderMessage: string; message: string; author?: string; theirs?: boolean; rebuild?: Rebuild },
): Promise<MergeResult> {
  await initRepository(target, opts.branch);
  await settleIndex(target);
  const render = await commitRender(target, files.entries(), { base: opts.base, message: opts.renderMessage, author: opts.author, keep: true });
  return mergeRender(target, render, { base: opts.base, branch: opts.branch, message: opts.message, author: opts.author, theirs: opts.theirs, rebuild: opts.rebuild });
}
