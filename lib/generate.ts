/**
 * The core run, without Yeoman: answers → plan → files → validation. The Yeoman generator, the bin
 * and the tests all go through these functions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { normaliseRaw, readAnswersFile, readClustersFile, resolveAnswers, withDefaults, type Answers } from './answers.js';
import { parseClusterSetting, QUESTIONS } from './questions.js';
import { loadCatalog, type Catalog } from './catalog.js';
import { HavenPlusError, InvalidOutputError, type AnswerProblem } from './errors.js';
import type { FileSet } from './fileset.js';
import { abbreviate } from './names.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from './package-info.js';
import { gitDirOf, RENDER_TRAILER } from './git.js';
import { PLAIN_LOCK_FILE } from './lock.js';
import { PLAIN_SCRATCH } from './write.js';
import { buildPlan, objectStorageTitle, type Plan } from './plan.js';
import type { QuestionContext, RawAnswers } from './questions.js';
import { renderRepository } from './render/index.js';
import { validateFiles, type Report, type ValidateOptions } from './validate/repository.js';

export interface StoredConfig {
  answers?: Record<string, unknown>;
  version?: string;
}

/** Reads the answers stored by an earlier run (.yo-rc.json), if the directory is a haven-plus repository. */
export function readStoredConfig(dir: string): StoredConfig | undefined {
  const file = join(dir, '.yo-rc.json');
  if (!existsSync(file)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredConfig>;
    return doc[GENERATOR_NAME];
  } catch (error) {
    throw unfinished(dir) ?? new HavenPlusError(`directory: ${file} is not valid JSON (${(error as Error).message}); restore it (git checkout -- .yo-rc.json) or fix it, then run again`, 2);
  }
}

/** What git is in the middle of in dir (a merge, rebase, cherry-pick or revert), and how to finish or undo it. */
const UNFINISHED: [string, string, string][] = [
  ['MERGE_HEAD', 'a merge', 'resolve the files, git add them and git commit; or git merge --abort'],
  ['rebase-merge', 'a rebase', 'resolve, git add and git rebase --continue; or git rebase --abort'],
  ['rebase-apply', 'a rebase', 'resolve, git add and git rebase --continue; or git rebase --abort'],
  ['CHERRY_PICK_HEAD', 'a cherry-pick', 'git cherry-pick --continue, or git cherry-pick --abort'],
  ['REVERT_HEAD', 'a revert', 'git revert --continue, or git revert --abort'],
];

/**
 * Refuses to work in a repository git is in the middle of something in (its files may hold conflict
 * markers, .yo-rc.json too): exit 2 with how to finish or undo it. Checked before Yeoman reads .yo-rc.json.
 */
export function unfinished(dir: string): HavenPlusError | undefined {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return undefined;
  const found = UNFINISHED.find(([marker]) => existsSync(join(gitDir, marker)));
  if (!found) return undefined;
  return new HavenPlusError(
    `directory: ${dir} is in the middle of ${found[1]} (a haven-plus run that stopped on overlapping edits, or yours); its files may hold conflict markers.\n` +
      `  Finish it (${found[2]}), then run again.`,
    2,
  );
}

/**
 * The checks that must come before Yeoman reads the repository's .yo-rc.json (a merge in progress
 * leaves conflict markers in it): the repository of dir, if any, is not in the middle of something.
 */
export function checkBeforeYeoman(dir: string): void {
  for (let probe = resolve(dir); ; probe = dirname(probe)) {
    if (existsSync(join(probe, '.yo-rc.json')) || existsSync(join(probe, '.git'))) {
      const problem = unfinished(probe);
      if (problem) throw problem;
      readStoredConfig(probe);
      return;
    }
    if (probe === dirname(probe)) return;
  }
}

/** The nearest directory at or above dir holding haven-plus answers (day 2 works from any subdirectory, as git does). */
export function findRepositoryRoot(dir: string): string | undefined {
  for (let probe = resolve(dir); ; probe = dirname(probe)) {
    if (readStoredConfig(probe)?.answers) return probe;
    if (probe === dirname(probe)) return undefined;
  }
}

/** Refuses a non-empty directory that is not a haven-plus repository (unless forced). */
export function checkTargetDirectory(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  // A stopped run's lock and scratch directory are cleaned up by this run, not the user's files.
  const entries = readdirSync(dir).filter((e) => e !== '.git' && e !== PLAIN_LOCK_FILE && e !== PLAIN_SCRATCH);
  if (entries.length === 0 || force) return;
  if (!readStoredConfig(dir)) {
    throw new HavenPlusError(
      `directory: ${dir} is not empty and is not a haven-plus repository (no .yo-rc.json with ${GENERATOR_NAME} answers).\n` +
        `  Choose an empty or new directory, or pass --force to generate into it anyway.`,
      2,
    );
  }
}

export function questionContext(dir: string, catalog: Catalog = loadCatalog()): QuestionContext {
  return { catalog, directoryName: basename(resolve(dir)) };
}

/**
 * Merges answers from their sources, later ones winning: stored config < answers file < clusters file < flags.
 * Returns the raw answers and every problem of form (unknown keys, wrong types).
 */
export function gatherAnswers(sources: { stored?: Record<string, unknown>; answersFile?: string; clustersFile?: string; flags: Record<string, unknown> }): {
  raw: RawAnswers;
  problems: AnswerProblem[];
} {
  const problems: AnswerProblem[] = [];
  const layers: RawAnswers[] = [];
  if (sources.stored) {
    const r = normaliseRaw(sources.stored, '.yo-rc.json');
    layers.push(r.answers);
    problems.push(...r.problems);
  }
  if (sources.answersFile) {
    const r = normaliseRaw(readAnswersFile(sources.answersFile), sources.answersFile);
    layers.push(r.answers);
    problems.push(...r.problems);
  }
  let fleet: RawAnswers | undefined;
  if (sources.clustersFile) {
    // The fleet as a whole: it replaces the clusters, their components and settings of the layers below.
    const r = readClustersFile(sources.clustersFile);
    fleet = r.answers;
    layers.push(r.answers);
    problems.push(...r.problems);
  }
  const r = normaliseRaw(sources.flags, 'command-line flags');
  layers.push(r.answers);
  problems.push(...r.problems);
  const raw = Object.assign({}, ...layers) as RawAnswers;
  // Settings of single clusters and held versions are keyed (`prod.region=…`, `production.loki=…`): a later layer
  // sets its keys and keeps the others (`haven-plus cluster acc --cluster-settings acc.environment=acceptance`
  // leaves prod's settings alone); an empty value (`prod.region=`) unsets one. A clusters file replaces the settings whole.
  for (const answer of KEYED_LISTS) {
    let merged: unknown[] = [];
    for (const layer of layers) {
      if (answer === 'cluster-settings' && layer === fleet) merged = [];
      const items = layer[answer];
      if (!Array.isArray(items)) continue;
      // Within one source every item stays (one given twice is the answer's check to name); across sources, by key.
      const keys = new Set(items.map(keyOf).filter((k) => k !== undefined));
      merged = [...merged.filter((m) => !keys.has(keyOf(m) ?? '')), ...items.filter((i) => !(typeof i === 'string' && i === `${keyOf(i)}=`))];
    }
    if (merged.length > 0 || raw[answer] !== undefined) raw[answer] = merged;
  }
  // An answer implied by one given in a later source than its own (`--acme-email` on a re-run implies
  // `--certificate-issuer letsencrypt`, whatever the stored issuer was): the later source wins, as flags do.
  for (const q of QUESTIONS) {
    if (!q.impliedBy) continue;
    const implied = layers.findLastIndex((layer) => q.impliedBy!(layer, () => undefined));
    const own = layers.findLastIndex((layer) => layer[q.name] !== undefined);
    if (implied > own && own >= 0) delete raw[q.name];
  }
  return { raw, problems };
}

/** List answers whose items are `<name>.<key>=<value>`, merged by `<name>.<key>` across the sources. */
const KEYED_LISTS = ['cluster-settings', 'environment-versions'] as const;
const keyOf = (item: unknown): string | undefined => {
  const { cluster, key } = typeof item === 'string' ? parseClusterSetting(item) : { cluster: '', key: '' };
  return cluster && key ? `${cluster}.${key}` : undefined;
};

export interface PreparedRun {
  answers: Answers;
  plan: Plan;
  files: FileSet;
}

/**
 * Plan and render, without validation (pure and fast: the base of a re-run, benchmarks). Secret
 * files (encrypted or sealed before, see lib/secrets) are placed as they are.
 */
export function render(answers: Answers, catalog: Catalog = loadCatalog(), secretFiles: ReadonlyMap<string, string> = new Map()): PreparedRun {
  const plan = { ...buildPlan(answers, catalog), secretFiles };
  return { answers, plan, files: renderRepository(plan) };
}

/**
 * Plans, renders and validates in memory, with the same checks as `haven-plus validate`.
 * Invalid output is a bug and is never returned (so never written).
 */
export async function prepare(
  answers: Answers,
  options: ValidateOptions & { secretFiles?: ReadonlyMap<string, string> } = {},
): Promise<PreparedRun & { report: Report }> {
  const run = render(answers, options.catalog, options.secretFiles);
  const report = await validateFiles(run.files, { registryMirror: answers.registryMirror, ...options });
  const errors = report.findings.filter((f) => f.severity === 'error');
  const lines = (list: typeof errors) => list.map((f) => `${f.file}: ${[f.object, f.path].filter(Boolean).join(' ')} ${f.message}`);
  // Secret files come from the repository (made by hand, or by an earlier run) or from this run's values; ours
  // are valid by construction, so findings only in them (or naming them: a key another object reads) are about
  // the repository's files, not a bug.
  const secretFiles = [...(options.secretFiles?.keys() ?? [])];
  if (errors.length > 0 && secretFiles.length > 0 && errors.every((f) => secretFiles.includes(f.file) || secretFiles.some((p) => f.message.includes(`(${p})`)))) {
    throw new HavenPlusError(
      `directory: Secret files in the repository fail validation, so nothing was written:\n${lines(errors).map((l) => `  - ${l}`).join('\n')}\n` +
        '  Make them again as the cluster README shows (or give the values to haven-plus), commit, and run again.',
      2,
    );
  }
  if (errors.length > 0) throw new InvalidOutputError(lines(errors));
  return { ...run, report };
}

/** Answers about one run, not the repository: never stored, so a re-run takes their defaults unless given. */
const PER_RUN_ANSWERS = new Set(['push']);

/** Non-interactive resolution: defaults for what is missing (with --yes) or an error naming every missing answer. */
export function resolveNonInteractive(raw: RawAnswers, ctx: QuestionContext, useDefaults: boolean, rerun = false): Answers {
  if (useDefaults) return resolveAnswers(withDefaults(raw, ctx), ctx);
  // Flag-only answers (never prompted) always take their defaults; every other answer must be given.
  return resolveAnswers(withDefaults(raw, ctx, (q) => q.promptable === false || (rerun && PER_RUN_ANSWERS.has(q.name))), ctx);
}

/** The subject of a plain run: a first generation or a re-run. */
export function commitSubject(plan: Plan, initial: boolean): string {
  const clusters = plan.clusters.map((c) => c.name).join(', ');
  return initial
    ? `feat: generate Haven+ platform ${plan.name} (${plan.engine}; clusters ${clusters})`
    : `chore: regenerate Haven+ platform ${plan.name} (${plan.engine}; clusters ${clusters})`;
}

/** A generator commit: Conventional Commit subject, the components, and the generator trailer. */
export function commitMessage(subject: string, plan: Plan): string {
  const body = `Components: ${plan.components.map((c) => c.def.id).join(', ')}.`;
  return `${subject}\n\n${body}\n\nGenerated-by: ${GENERATOR_NAME} ${GENERATOR_VERSION}`;
}

/** The message of a pure render commit: the run's message, marked as the base of the next run. */
export function renderMessage(message: string): string {
  return `${message}\n${RENDER_TRAILER}: ${GENERATOR_VERSION}`;
}

/** Human summary of a plan: one line per component with why it is included, per-cluster storage. */
export function summarize(plan: Plan): string[] {
  const lines = [`Platform ${plan.name}: ${plan.engine === 'flux' ? 'Flux' : 'Argo CD'}, ${plan.clusters.length} cluster(s)`];
  for (const { def, reasons } of plan.components) lines.push(`  • ${def.id}: ${reasons.join('; ')}`);
  // Clusters set up alike share a line, so a fleet of hundreds stays readable.
  const groups = new Map<string, string[]>();
  for (const c of plan.clusters) {
    const os = c.objectStorage ? `, object storage ${objectStorageTitle(c.objectStorage)}` : '';
    const how = `on ${c.provider.id}${os}`;
    groups.set(how, [...(groups.get(how) ?? []), c.name]);
  }
  for (const [how, names] of groups) {
    lines.push(`  cluster${names.length > 1 ? 's' : ''} ${abbreviate(names)} ${how}`);
  }
  const releases = new Map(plan.components.flatMap(({ def }) => def.controller?.releases ?? []).map((r) => [r.name, r]));
  for (const environment of plan.environments) {
    const held = plan.answers.environmentVersions.filter((p) => p.environment === environment);
    if (held.length > 0) lines.push(`  held in ${environment}: ${held.map((p) => `${p.release} ${p.version} (this generator pins ${releases.get(p.release)!.version})`).join(', ')}`);
  }
  return lines;
}

