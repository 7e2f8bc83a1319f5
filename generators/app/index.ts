/**
 * `yo haven-plus` / `haven-plus`: a thin Yeoman shell over the core in lib/. Each task group does one
 * thing: gather answers, ask what is missing (only with a terminal), plan + render + validate in
 * memory, write through mem-fs (so --force, --dry-run and conflicts behave as in any Yeoman
 * generator), then commit.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import Generator from 'yeoman-generator';
import { givenProblems, normaliseRaw, promptProblem, resolveAnswers, withDefaults, type Answers } from '../../lib/answers.js';
import { AnswersError, HavenPlusError, InterruptedError, machineError } from '../../lib/errors.js';
import {
  checkTargetDirectory,
  commitMessage,
  commitSubject,
  findRepositoryRoot,
  gatherAnswers,
  prepare,
  render,
  renderMessage,
  questionContext,
  readStoredConfig,
  resolveNonInteractive,
  summarize,
  type PreparedRun,
  type StoredConfig,
  checkBeforeYeoman,
  unfinished,
} from '../../lib/generate.js';
import {
  branchState,
  changedFiles,
  checkGit,
  commitRender,
  configureRemote,
  enclosingRepository,
  findRenderBase,
  hasHead,
  isRepositoryRoot,
  settleIndex,
  previewMerge,
  push,
  uncommittedChanges,
  type RenderBase,
} from '../../lib/git.js';
import { acquireLock, PLAIN_LOCK_FILE, type Lock } from '../../lib/lock.js';
import { applyWrites, commitRun, planWrites } from '../../lib/apply.js';
import { PLAIN_SCRATCH, readSafely, removeLeftovers } from '../../lib/write.js';
import { GENERATOR_NAME, GENERATOR_VERSION, PUBLISHED_ON_NPM } from '../../lib/package-info.js';
import { bucketsToMake, buildPlan, type Plan } from '../../lib/plan.js';
import { complianceSummary } from '../../lib/render/compliance.js';
import { QUESTIONS, RUN_OPTIONS, type Question, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import { generateAgeKey, sopsAgeKeyFile, writeAgeKey, type AgeKeyPair } from '../../lib/secrets/age.js';
import { canMake, existingSecretFiles, loadCertificates, makeSecretFiles, type SecretOutcome } from '../../lib/secrets/index.js';
import type { SealingCertificate } from '../../lib/secrets/sealed.js';
import { sandboxMakes, secretPath, secretSpecs, type SecretSpec } from '../../lib/secrets/specs.js';
import { secretSummary } from '../../lib/secrets/summary.js';
import { collectSecretValues, sharePrompt, valueKey, valuePrompt, type SecretValues } from '../../lib/secrets/values.js';
import { counted } from '../../lib/validate/report.js';

type Options = Record<string, unknown>;

/**
 * Yeoman logs "An error occured while running <task>" above every error a task throws; ours say what
 * went wrong and what to do themselves, and the bin prints them. The line is left out, nothing else.
 */
function withoutTaskErrorLine<T extends ((...args: never[]) => unknown) & { error: (...args: never[]) => unknown }>(log: T): T {
  const error = log.error.bind(log) as (...args: unknown[]) => unknown;
  const wrapped = ((...args: never[]) => log(...args)) as T;
  return Object.assign(wrapped, log, {
    error: (message: unknown, ...rest: unknown[]) => (typeof message === 'string' && /^An error occured while running haven-plus:/.test(message) ? undefined : error(message, ...rest)),
  });
}

/** checkBeforeYeoman on the directory Yeoman will read (its working directory), passing the options through. */
function beforeYeoman(options: Options): Options {
  const env = options.env as { cwd?: string } | undefined;
  checkBeforeYeoman(env?.cwd ?? process.cwd());
  return options;
}

/** How long a run waits for another run in the same repository before it gives up (exit 5). */
const LOCK_WAIT_MS = 10 * 60 * 1000;

export default class AppGenerator extends Generator {
  protected target = '';
  private ctx!: QuestionContext;
  private raw: RawAnswers = {};
  private answers!: Answers;
  protected prepared!: PreparedRun;
  private initialRun = true;
  /** The generator version that made the repository (undefined on a first run). */
  protected storedVersion: string | undefined;
  private storedAnswers: Record<string, unknown> | undefined;
  /** Whether the new render reaches the work tree by a git merge (a repository with history) rather than by writing. */
  private merging = false;
  /** The last render the branch contains (verified). */
  private renderBase: RenderBase | undefined;
  /** This run's hold on the repository (one run at a time). */
  private lock: Lock | undefined;
  /** The signal that asked the run to stop, honoured at the next safe point. */
  private interrupted: NodeJS.Signals | undefined;
  /** Files written so far (for the message when the run is stopped). */
  private written = 0;
  private stopped = false;
  /** A key pair made by --age-generate: written to the SOPS key file in the writing phase. */
  private ageKey: AgeKeyPair | undefined;
  private secretValues: SecretValues = new Map();
  private certificates = new Map<string, SealingCertificate>();
  private secretOutcome: SecretOutcome | undefined;
  /** The plan of the final answers (after --age-generate added its recipient). */
  private plan!: Plan;
  /** When the work started (after the prompts): the summary lines say how long it took. */
  private startedAt = performance.now();
  /** Seconds since the run started, as ` (2.4 s)`. */
  private _elapsed(): string {
    return ` (${((performance.now() - this.startedAt) / 1000).toFixed(1)} s)`;
  }
  /** The target as the user would type it from here: `./gitops`, else the absolute path. */
  private _shownTarget(): string {
    // Relative to where the user stands, unless that climbs more than two directories (then the full path).
    const rel = relative(process.cwd(), this.target);
    if (rel === '') return '.';
    if (isAbsolute(rel) || /^(\.\.\/){2}\.\.(\/|$)/.test(rel)) return this.target;
    return rel.startsWith('..') ? rel : `./${rel}`;
  }

  constructor(args: string[], options: Options) {
    // customInstallTask: there is no package.json to install for; keep Yeoman's install step quiet.
    // Yeoman reads .yo-rc.json while it constructs: a repository in the middle of a merge is refused first.
    super(args, beforeYeoman(options) as never, { customInstallTask: true, inheritTasks: true });
    this._declareArguments();
    for (const q of QUESTIONS) {
      this.option(q.name, { type: q.type === 'boolean' ? Boolean : String, description: q.description });
    }
    for (const o of RUN_OPTIONS) {
      if (o.name === 'skip-install') continue; // Yeoman defines it already
      const type = o.type === 'boolean' ? Boolean : o.type === 'list' ? Array : String;
      this.option(o.name, { type, description: o.description, ...(o.name === 'yes' ? { alias: 'y' } : {}) });
    }
    this.option('interactive', { type: Boolean, description: 'prompt even when stdin is not a terminal', hide: true });
    // With --help, Yeoman gives the generator no logger: there is nothing to run, so nothing to wrap.
    if (typeof this.log?.error === 'function') (this as unknown as { log: AppGenerator['log'] }).log = withoutTaskErrorLine(this.log);
  }

  /** Positional arguments: the app takes the directory; subgenerators take what they add, and run where they are. */
  protected _declareArguments(): void {
    this.argument('directory', { type: String, required: false, description: 'where the repository is created (default: the current directory)' });
  }

  /** Subgenerators work inside an existing repository only. */
  protected readonly _dayTwo: boolean = false;

  /** Flags a subgenerator reads itself instead of as answers (the cluster subgenerator's --provider). */
  protected _takeFlags(_flags: Options): void {}

  /** A subgenerator's change to the stored answers (it throws on a name that collides). */
  protected _amend(_raw: RawAnswers, _ctx: QuestionContext): void {}

  /** The commit subject of this run. */
  protected _subject(plan: Plan, initial: boolean): string {
    return commitSubject(plan, initial);
  }

  /** Shown before anything is written (upgrade: what changes); false stops the run. */
  protected async _beforeWriting(): Promise<boolean> {
    return true;
  }

  protected _opt<T>(name: string): T | undefined {
    const options = this.options as Options;
    return options[name] as T | undefined;
  }

  private get _envOptions(): Options {
    return (this.env as unknown as { options?: Options }).options ?? {};
  }

  protected get _force(): boolean {
    return Boolean(this._opt('force') ?? this._envOptions.force);
  }

  protected get _dryRun(): boolean {
    return Boolean(this._opt('dry-run') ?? this._opt('dryRun') ?? this._envOptions.dryRun);
  }

  /** A repository file as it is on disk (undefined when absent); never read through a link that leaves the repository. */
  private _onDisk(path: string): string | undefined {
    return readSafely(this.target, path);
  }

  /** Stops the run here if a signal asked for it (a safe point: nothing is half-done). */
  private _checkpoint(): void {
    const stop = this._stopReason();
    if (stop) throw stop;
  }

  private _stopReason(writing = 0): InterruptedError | undefined {
    if (!this.interrupted) return undefined;
    const written = this.written + writing;
    const what = written > 0 ? `${written} file(s) were written, each complete; nothing was committed` : 'nothing was written or committed';
    return new InterruptedError(this.interrupted, `${what}. Run the same command again to finish.`);
  }

  /** Questions being asked now: a signal then stops the run at once (the answers are the only state). */
  private asking = 0;

  /** Every question goes through here, so a signal at one is told apart from one while working. */
  protected async _prompt<A = Record<string, unknown>>(questions: unknown[]): Promise<A> {
    this.asking++;
    try {
      return (await this.prompt(questions as never)) as A;
    } finally {
      this.asking--;
    }
  }

  /**
   * SIGINT/SIGTERM/SIGHUP: stop at the next safe point; a second signal stops at once (the next run cleans up).
   * At a question nothing has been written yet: the run stops at once, with the lock released, rather than
   * waiting at the question for an answer that will not come.
   */
  private _trapSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        const code = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1);
        if (this.asking > 0 && this.written === 0) {
          this.lock?.release();
          process.stderr.write(`\nhaven-plus: stopped at a prompt (${signal}): nothing was written or committed.\n`);
          process.exit(code);
        }
        if (this.interrupted) process.exit(code);
        this.interrupted = signal;
        process.stderr.write(`\nhaven-plus: ${signal}: stopping at the next safe point (again to stop at once)…\n`);
      });
    }
  }

  /** The target's checks that need no answers: a directory (or creatable), writable. */
  private _checkTargetPath(): void {
    if (existsSync(this.target) && !statSync(this.target).isDirectory()) {
      throw new HavenPlusError(`directory: ${this.target} is a file, not a directory; choose a directory (new or empty) for the repository`, 2);
    }
    let probe = this.target;
    while (!existsSync(probe)) probe = dirname(probe);
    if (!statSync(probe).isDirectory()) {
      throw new HavenPlusError(`directory: ${probe} is a file, so ${this.target} cannot be created inside it; choose another directory`, 2);
    }
    if (this._dryRun) return;
    try {
      accessSync(probe, constants.W_OK);
    } catch (error) {
      throw machineError(error, `directory: ${this.target} cannot be written`);
    }
  }

  /** One run at a time: waits for another run in the same repository, then reads it as that run left it. */
  private async _lock(): Promise<void> {
    if (this._dryRun && !existsSync(join(this.target, '.git'))) return;
    // The outermost directory this run creates (the target's parents may not exist either).
    let created: string | undefined;
    for (let probe = this.target; !existsSync(probe); probe = dirname(probe)) created = probe;
    try {
      mkdirSync(this.target, { recursive: true });
    } catch (error) {
      throw machineError(error, `directory: ${this.target} cannot be created`);
    }
    // A run that stops before writing anything leaves no directory it created behind.
    if (created) {
      const outermost = created;
      process.on('exit', () => {
        this.lock?.release();
        const left = existsSync(this.target) ? readdirSync(this.target).filter((e) => e !== PLAIN_LOCK_FILE && e !== PLAIN_SCRATCH) : ['?'];
        if (left.length > 0) return;
        rmSync(this.target, { recursive: true, force: true });
        // Up to the outermost directory this run made, each only if empty (rmdir refuses otherwise).
        for (let dir = dirname(this.target); this.target !== outermost && dir.startsWith(outermost); dir = dirname(dir)) {
          try {
            rmdirSync(dir);
          } catch {
            break;
          }
        }
      });
    }
    const command = `haven-plus ${this.options.namespace?.split(':')[1] ?? 'app'}`.replace(/ app$/, '');
    this.lock = await acquireLock(this.target, { waitMs: LOCK_WAIT_MS, log: (l) => this.log(l), command });
    removeLeftovers(this.target);
    // A killed run's git command may still be finishing (children outlive their parent): let it.
    await settleIndex(this.target);
  }

  protected get _interactive(): boolean {
    if (this._opt('yes')) return false;
    return Boolean(process.stdin.isTTY) || this._opt('interactive') === true;
  }

  async initializing(): Promise<void> {
    const directory = this._dayTwo ? undefined : this._opt<string>('directory');
    this.target = directory ? resolve(this.env.cwd ?? process.cwd(), directory) : this.destinationRoot();
    if (this._dayTwo) this.target = findRepositoryRoot(this.target) ?? this.target;
    this._checkTargetPath();
    this._trapSignals();
    await this._lock();
    const stored = readStoredConfig(this.target);
    if (this._dayTwo && !stored?.answers) {
      throw new HavenPlusError(
        `${this.target} is not a haven-plus repository (no .yo-rc.json with ${GENERATOR_NAME} answers).\n` +
          `  Run this inside a generated repository, or generate one first: haven-plus <directory>`,
        2,
      );
    }
    checkTargetDirectory(this.target, this._force);
    this.initialRun = !stored;
    this.storedVersion = stored?.version;
    this.ctx = questionContext(this.target);
    const flags: Options = {};
    for (const q of QUESTIONS) {
      const v = this._opt(q.name);
      if (v !== undefined) flags[q.name] = v;
    }
    this._takeFlags(flags);
    const { raw, problems } = gatherAnswers({ stored: stored?.answers, answersFile: this._opt<string>('answers'), clustersFile: this._opt<string>('clusters-file'), flags });
    if (problems.length > 0) throw new AnswersError(problems);
    this._amend(raw, this.ctx);
    this.raw = raw;
    this.storedAnswers = stored?.answers;
    if (raw.git !== false) await checkGit();
    if (raw.git !== false && !(await isRepositoryRoot(this.target))) {
      const outer = await enclosingRepository(this.target);
      if (outer) {
        throw new HavenPlusError(
          `directory: ${this.target} is inside the git repository ${outer}; a platform repository is a repository of its own.\n` +
            `  Generate it outside ${outer}, or pass --no-git to write the files without committing.`,
          2,
        );
      }
    }
    const born = raw.git !== false && (await hasHead(this.target));
    // An unborn branch is a first run (perhaps one that was stopped): the files are compared with the render, not committed.
    if (raw.git !== false && !born) this.initialRun = true;
    if (born) {
      const state = await branchState(this.target);
      if (state.detachedAt) {
        throw new HavenPlusError(
          `directory: ${this.target} has a detached HEAD (at ${state.detachedAt}); a commit there would belong to no branch.\n` +
            `  Switch to the branch the clusters follow (git switch ${raw.branch ?? 'main'}), or to a branch of your own for a merge request, and run again.`,
          2,
        );
      }
      const stuck = unfinished(this.target);
      if (stuck) throw stuck;
    }
    if (born && !this._dryRun) {
      // A first run's lock and scratch directory (ours, or a stopped run's) are not the user's changes.
      const changes = (await uncommittedChanges(this.target)).filter((c) => !c.endsWith(` ${PLAIN_LOCK_FILE}`) && !c.includes(` ${PLAIN_SCRATCH}/`));
      if (changes.length > 0) {
        throw new HavenPlusError(
          `directory: ${this.target} has uncommitted changes; haven-plus commits its output and will not mix it with yours:\n` +
            changes.slice(0, 10).map((c) => `    ${c}`).join('\n') +
            (changes.length > 10 ? `\n    … and ${changes.length - 10} more` : '') +
            `\n  Commit or stash them first, or pass --no-git.`,
          2,
        );
      }
    }
    // A repository with history takes the new render by a git merge; otherwise the files are written here.
    this.merging = born;
    this._checkpoint();
  }

  async prompting(): Promise<void> {
    if (!this._interactive) {
      try {
        this.answers = resolveNonInteractive(this.raw, this.ctx, Boolean(this._opt('yes')), !this.initialRun);
      } catch (error) {
        if (error instanceof AnswersError && !this._opt('yes')) {
          throw new HavenPlusError(
            `${error.message}\nThere is no terminal to ask on: give the answers as flags or in --answers <file>, or add --yes to accept the defaults.`,
            2,
          );
        }
        throw error;
      }
      await this._secretInputs();
      return;
    }
    const askAnswered = Boolean(this._opt('ask-answered'));
    const stored = this.storedAnswers ? normaliseRaw(this.storedAnswers, '.yo-rc.json').answers : undefined;
    // A flag with a bad value is refused before the first question, not after the last.
    const given = givenProblems(this.raw, this.ctx);
    if (given.length > 0) throw new AnswersError(given);
    for (const q of QUESTIONS) {
      if (q.when && !q.when(this.raw, this.ctx)) continue;
      if (q.promptable === false) continue;
      if (this.raw[q.name] !== undefined && !askAnswered) continue;
      if (q.impliedBy?.(this.raw, (name) => this._opt(name)) && !askAnswered) continue;
      // Asked before: it applied to the stored answers, which then left it empty or to its default.
      // A question that applies only now (a component was added) is asked.
      const settled = q.optional || q.default?.(this.raw, this.ctx) !== undefined;
      if (stored && !askAnswered && settled && (!q.when || q.when(stored, this.ctx))) continue;
      this.raw[q.name] = await this._ask(q);
    }
    this.answers = resolveAnswers(withDefaults(this.raw, this.ctx), this.ctx);
    await this._secretInputs();
  }

  /**
   * Secret inputs: an age key pair (--age-generate, or offered at the prompt), the controllers'
   * certificates, and the values (environment, --secret-file, then hidden prompts). Nothing is
   * written yet; values only ever live in memory.
   */
  private async _secretInputs(): Promise<void> {
    const a = this.answers;
    // Repeated flags arrive as (nested) arrays from commander and Yeoman alike.
    const certs = [this._opt<unknown>('sealed-secrets-cert') ?? []].flat(3).map(String);
    if (this._opt('age-generate') && a.secrets !== 'sops') {
      throw new HavenPlusError(`age-generate: applies to --secrets sops, not ${a.secrets}`, 2);
    }
    if (certs.length > 0 && a.secrets !== 'sealed-secrets') {
      throw new HavenPlusError(`sealed-secrets-cert: applies to --secrets sealed-secrets, not ${a.secrets}`, 2);
    }
    let generate = Boolean(this._opt('age-generate'));
    // A second key would open none of the files encrypted so far, and the README would say it does.
    if (generate && a.ageRecipients.length > 0) {
      throw new HavenPlusError(
        `age-generate: this repository already encrypts to ${a.ageRecipients.join(', ')} (age-recipient); a key made now would open none of the files encrypted so far.\n` +
          `  Keep that key (leave --age-generate out), or move to a new one on purpose: --age-recipient <new public key> adds it, then \`sops updatekeys\` on each *.sops.yaml with the old key at hand.`,
        2,
      );
    }
    // Offered once, on the first run (or again with --ask-answered): a re-run does not ask it again.
    const offer = !this.storedAnswers || Boolean(this._opt('ask-answered'));
    if (!generate && offer && this._interactive && a.secrets === 'sops' && a.ageRecipients.length === 0) {
      const answer = await this._prompt([
        { type: 'confirm', name: 'generate', message: `No age recipient: generate a key pair now? (private key → ${sopsAgeKeyFile()}, never into the repository)`, default: true } as never,
      ]);
      generate = (answer as { generate?: boolean }).generate === true;
    }
    if (generate) {
      this.ageKey = await generateAgeKey();
      a.ageRecipients = [...a.ageRecipients, this.ageKey.recipient];
    }
    const plan = (this.plan = buildPlan(a, this.ctx.catalog));
    const clusters = a.clusters.map((c) => c.name);
    if (a.secrets === 'sealed-secrets') this.certificates = loadCertificates(certs, clusters, this.target);
    const specs = secretSpecs(plan);
    this.secretValues = collectSecretValues(specs, { env: process.env, file: this._opt<string>('secret-file'), clusters, repository: this.target });
    if (this._interactive) await this._askSecretValues(plan, specs);
  }

  /**
   * Hidden prompts for the values that can be used now (encrypted or sealed) and were not given. Secrets of
   * one name on a cluster (the object storage key of each consumer) take one value each key, unless the
   * answer to the question asked first is a value for each.
   */
  private async _askSecretValues(plan: Plan, specs: SecretSpec[]): Promise<void> {
    const given = (spec: SecretSpec, key: string) => this.secretValues.has(valueKey(spec, key));
    const groups = new Map<string, SecretSpec[]>();
    for (const spec of specs) {
      if (!canMake(plan, spec, this.certificates) || sandboxMakes(plan, spec)) continue;
      if (spec.keys.every((k) => given(spec, k.name))) continue;
      // A Secret the repository already has is kept; new values come from the environment or a file.
      if (this._onDisk(secretPath(spec, plan.secrets)) !== undefined) continue;
      const id = `${spec.cluster}/${spec.name}`;
      groups.set(id, [...(groups.get(id) ?? []), spec]);
    }
    for (const group of groups.values()) {
      const shared = group.length === 1 || group.some((s) => s.oneValue !== undefined) || ((await this._prompt([{ type: 'confirm', name: 'shared', default: true, message: sharePrompt(group) }])) as { shared?: boolean }).shared !== false;
      for (const targets of shared ? [group] : group.map((s) => [s])) {
        for (const k of targets[0].keys) {
          const open = targets.filter((t) => t.keys.some((tk) => tk.name === k.name) && !given(t, k.name));
          if (open.length === 0) continue;
          const answer = (await this._prompt([{ type: 'password', mask: '*', name: 'value', message: valuePrompt(open, k) } as never])) as { value?: string };
          if (answer.value) for (const t of open) this.secretValues.set(valueKey(t, k.name), answer.value);
        }
      }
    }
  }

  private async _ask(q: Question): Promise<unknown> {
    const current = this.raw[q.name] ?? q.default?.(this.raw, this.ctx);
    const validate = (input: unknown) => {
      // inquirer's checkbox hands validate the selected choice objects, not their values.
      const picked = Array.isArray(input) ? input.map((i) => (i && typeof i === 'object' && 'value' in i ? (i as { value: unknown }).value : i)) : input;
      const value = q.type === 'list' && typeof picked === 'string' ? picked.split(',').map((s) => s.trim()).filter(Boolean) : picked;
      const empty = value === '' || value === undefined;
      if (empty && !(q.optional && !q.requiredAtPrompt)) return `${q.name} is needed here (allowed: ${q.allowed(this.ctx)})`;
      return promptProblem(q, empty ? undefined : value, this.raw, this.ctx) ?? true;
    };
    const base = { name: q.name, message: q.message };
    let question: Record<string, unknown>;
    switch (q.type) {
      case 'boolean':
        question = { ...base, type: 'confirm', default: current ?? false };
        break;
      case 'choice': {
        // An optional choice left unset has a meaning of its own: offered first, and chosen by Enter.
        const unset = q.optional && q.unset ? [{ value: '', name: q.unset }] : [];
        question = { ...base, type: 'select', choices: [...unset, ...q.choices!(this.ctx, this.raw)], default: current ?? (unset.length > 0 ? '' : undefined) };
        break;
      }
      case 'choices':
        question = {
          ...base,
          type: 'checkbox',
          choices: q.choices!(this.ctx, this.raw).map((c) => ({ ...c, checked: Array.isArray(current) && (current as string[]).includes(c.value) })),
          validate,
        };
        break;
      case 'list':
        question = { ...base, type: 'input', default: Array.isArray(current) ? (current as string[]).join(',') : current, validate };
        break;
      default:
        question = { ...base, type: 'input', default: current, validate };
    }
    const answer = (await this._prompt([question as never]))[q.name] as unknown;
    if (q.type === 'list' && typeof answer === 'string') return answer.split(',').map((s) => s.trim()).filter(Boolean);
    if (q.optional && answer === '') return undefined;
    return answer;
  }

  async configuring(): Promise<void> {
    this.startedAt = performance.now();
    this.log('Planning, rendering and validating in memory…');
    this.secretOutcome = await makeSecretFiles(this.plan, { values: this.secretValues, certificates: this.certificates, existing: (p) => this._onDisk(p) });
    this.secretValues.clear();
    const run = await prepare(this.answers, { secretFiles: this.secretOutcome.files });
    this.prepared = run;
    for (const line of summarize(run.plan)) this.log(line);
    for (const line of secretSummary(run.plan, this.secretOutcome)) this.log(line);
    // Unverified first (a chart version outside the pinned data: the repository's CI will say so too).
    const warnings = [...run.report.findings.filter((f) => f.severity === 'unverified'), ...run.report.findings.filter((f) => f.severity === 'warning')];
    for (const w of warnings.slice(0, 10)) this.log(`  ${w.severity === 'unverified' ? '?' : '!'} ${w.file}: ${w.object ? `${w.object}: ` : ''}${w.message}`);
    if (warnings.length > 10) this.log(`  ! … and ${warnings.length - 10} more (haven-plus validate lists them all)`);
    const stats = run.report.stats;
    this.log(`Validated ${counted(stats.objects, 'object')} against strict schemas (${counted(stats.celRules, 'CEL rule')}), ${counted(stats.kustomizations, 'kustomization build')}, references and the values of ${counted(stats.chartValues, 'chart release')}${this._elapsed()}.`);
    if (this.merging) this.renderBase = await findRenderBase(this.target, (files) => rebuildRender(files, this.ctx));
    this._checkpoint();
    this.stopped = !(await this._beforeWriting());
  }

  async writing(): Promise<void> {
    if (this.stopped) return;
    this._checkpoint();
    this.destinationRoot(this.target);
    if (this.ageKey && !this._dryRun) {
      // First, so a key file that cannot be written stops the run before anything else is.
      const keyFile = sopsAgeKeyFile();
      writeAgeKey(keyFile, this.ageKey, this.target);
      this.log(`Generated an age key pair: the private key was appended to ${keyFile} (mode 0600); public key ${this.ageKey.recipient}.`);
      this.log('  Back it up (a password manager, a sealed envelope): without it nobody can decrypt the secrets.');
    }
    if (this.merging) {
      this.log(
        this._dryRun
          ? `Comparing the new render (${this.prepared.files.size} files) with ${this._shownTarget()} (dry run)`
          : `Bringing the new render (${this.prepared.files.size} files) into ${this._shownTarget()}: your edits are kept`,
      );
      return;
    }
    const { files } = this.prepared;
    // Without history (--no-git, or a first run that was stopped), the stored answers rendered by this version are the base.
    const base = this.storedAnswers ? renderStored(this.storedAnswers, this.ctx, (p) => this._onDisk(p)) : undefined;
    const plan = planWrites(this.target, files, base?.files);
    const { edited } = plan;
    if (edited.length > 0 && !this._interactive && !this._force && !this._dryRun) {
      throw new HavenPlusError(
        `these files were edited by hand and the generator would overwrite them, and there is no terminal to ask:\n` +
          edited.map((p) => `    ${p}`).join('\n') +
          `\n  Keep your edits (do not re-run with changed answers yet), or pass --force to overwrite them.`,
        2,
      );
    }
    const overwrite = this._force ? edited : this._dryRun ? [] : await this._askOverwrite(edited);
    const kept = edited.filter((p) => !overwrite.includes(p));
    plan.writes.push(...overwrite.map((p): [string, string] => [p, files.get(p)!]));
    if (this._dryRun) {
      const asked = this._interactive ? 'would be asked about' : 'would stop the run (no terminal to ask; --force overwrites them)';
      this._listFiles(plan, 'would write', 'would remove');
      this.log(`Would write ${plan.writes.length} of ${files.size} files to ${this._shownTarget()}${plan.removes.length ? ` and remove ${plan.removes.length}` : ''}${edited.length ? `; ${edited.length} edited by hand ${asked}: ${edited.join(', ')}` : ''}.`);
      return;
    }
    this.log(`Writing ${plan.writes.length} of ${files.size} files to ${this._shownTarget()}${plan.removes.length ? ` (removing ${plan.removes.length} the platform no longer needs)` : ''}`);
    this._listFiles(plan, 'write', 'remove');
    this.written += applyWrites(this.target, plan, {
      firstRun: !this.storedAnswers,
      stop: (writing) => this._stopReason(writing),
      progress: (done, total) => this.log(`  … ${done} of ${total}`),
    });
    if (kept.length > 0) this.log(`Kept as you edited them: ${kept.join(', ')}`);
  }

  /** --verbose: each file written and removed, one per line. */
  private _listFiles(plan: { writes: [string, string][]; removes: string[] }, write: string, remove: string): void {
    if (!this._opt('verbose')) return;
    for (const [p] of plan.writes) this.log(`  ${write} ${p}`);
    for (const p of plan.removes) this.log(`  ${remove} ${p}`);
  }

  /** With a terminal: which of the files edited by hand to overwrite (the rest are kept). */
  private async _askOverwrite(edited: string[]): Promise<string[]> {
    const overwrite: string[] = [];
    let all: 'overwrite' | 'keep' | undefined;
    for (const p of edited) {
      if (all) {
        if (all === 'overwrite') overwrite.push(p);
        continue;
      }
      const answer = (await this._prompt([
        {
          type: 'select',
          name: 'choice',
          message: `${p} was edited by hand and the generator changes it. Overwrite it?`,
          choices: [
            { value: 'keep', name: 'no: keep my edit' },
            { value: 'overwrite', name: "yes: take the generator's version" },
            { value: 'keep-all', name: 'keep this and every other edited file' },
            { value: 'overwrite-all', name: 'overwrite this and every other edited file' },
          ],
          default: 'keep',
        } as never,
      ])) as { choice: string };
      if (answer.choice.endsWith('-all')) all = answer.choice === 'overwrite-all' ? 'overwrite' : 'keep';
      if (answer.choice.startsWith('overwrite')) overwrite.push(p);
    }
    return overwrite;
  }

  /** --dry-run on a repository with history: what the merge would change, and where it would stop. */
  private async _preview(message: string): Promise<void> {
    const render = await commitRender(this.target, this.prepared.files.entries(), { base: this.renderBase, message: renderMessage(message), author: this.answers.gitAuthor, keep: false });
    const { changed, conflicts, note } = await previewMerge(this.target, render, this.renderBase, (files) => rebuildRender(files, this.ctx));
    if (note) this.log(`Note: ${note}.`);
    if (changed.length === 0) this.log('The render changes nothing in this repository.');
    else {
      // Each file with --verbose; the conflicting ones always (a fleet's change touches a thousand files).
      const listed = this._opt('verbose') ? changed : conflicts;
      this.log(`Would change ${changed.length} file(s)${listed.length > 0 ? ':' : ' (--verbose lists them)'}${listed.map((p) => `\n    ${p}${conflicts.includes(p) ? '   (conflicts with your edits)' : ''}`).join('')}`);
    }
    if (conflicts.length > 0) this.log(`  ${conflicts.length} file(s) would conflict: the run would stop there and commit nothing.`);
  }

  async end(): Promise<void> {
    if (this.stopped) return;
    const plan = this.prepared.plan;
    const message = commitMessage(this._subject(plan, this.initialRun), plan);
    if (this._dryRun) {
      if (this.merging) await this._preview(message);
      this.log('Dry run: nothing was written and nothing was committed.');
      return;
    }
    // Buckets on a provider's own object storage that this run adds: said before anything is pushed (and with
    // --no-git), since the cluster cannot make them and what uses them fails until they exist.
    const toMake = this.initialRun ? [] : bucketsToMake(this.storedAnswers ? planStored(this.storedAnswers, this.ctx) : undefined, plan);
    if (toMake.length > 0) {
      this.log(`! New buckets on the provider's object storage, which the cluster cannot make itself: make them at the provider and let the platform's key reach them before the change reaches the cluster, or what uses them fails:`);
      for (const { cluster, buckets, commands } of toMake) {
        this.log(`    ${cluster.name} (${cluster.provider.title}): ${buckets.join(', ')}`);
        for (const line of commands) this.log(`      ${line}`);
      }
    }
    if (!this.answers.git) {
      this.log('Not committing (--no-git).');
    } else {
      this._checkpoint();
      const author = this.answers.gitAuthor;
      const left = this.merging ? [] : await untrackedBefore(this.target, this.prepared.files);
      if (this.renderBase?.note) this.log(`Note: ${this.renderBase.note}.`);
      const rebuild = (files: ReadonlyMap<string, string>) => rebuildRender(files, this.ctx);
      const result = await commitRun(this.target, this.prepared.files, { base: this.renderBase, branch: this.answers.branch, renderMessage: renderMessage(message), message, author, theirs: this._force, rebuild });
      if (result.note) this.log(`Note: ${result.note}.`);
      if (this.interrupted) this.log(`(${this.interrupted} came while committing: the commit was completed first, so the repository is in its new state.)`);
      if (result.conflicts.length > 0) {
        throw new HavenPlusError(
          `your edits and the generator's changes overlap in ${result.conflicts.length} file(s); nothing was committed:\n` +
            result.conflicts.map((p) => `    ${p}`).join('\n') +
            `\n  Where both changed the same lines the files hold conflict markers (<<<<<<< HEAD: yours, >>>>>>> refs/haven-plus/render: the generator's);` +
            ` git status says what each side did to the others (one deleted or replaced the file, say). Resolve them, then \`git add\` them and \`git commit\`` +
            ` (the message is prepared), or \`git merge --abort\` to go back. --force takes the generator's side of every overlap.`,
          1,
        );
      }
      if (result.committed) {
        this.log(`Committed ${result.sha} on ${result.branch} as ${result.author}${this._elapsed()}.`);
        if (result.usedFallbackAuthor) this.log('  (git has no user.name/user.email here: used a neutral author; pass --git-author "Name <email>" to choose one)');
        if (!this.initialRun && result.sha) await this._logChanges(message.split('\n')[0], result.sha);
      } else {
        this.log(`Nothing changed: no commit made${this._elapsed()}.`);
      }
      if (result.branch !== this.answers.branch) this.log(`  The clusters follow ${this.answers.branch}: merge ${result.branch} into it (a merge request) to roll this out.`);
      if (left.length > 0) this.log(`  Left untracked: ${left.length} file(s) that were in the directory before (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}); haven-plus commits only its own files.`);
      const remoteNote = this.answers.gitRemote ? await configureRemote(this.target, this.answers.gitRemote) : undefined;
      if (remoteNote) this.log(`  Note: ${remoteNote}.`);
      if (this.answers.push) {
        const stop = this._stopReason();
        if (stop) throw new InterruptedError(stop.signal, `committed ${result.sha ?? 'nothing new'} on ${result.branch}, not pushed: push it with git push --set-upstream origin ${result.branch}`);
        this.log(`Pushing ${result.branch} to ${this.answers.gitRemote}…`);
        await push(this.target, result.branch, this._pushTimeout());
        this.log(`Pushed ${result.branch} to ${this.answers.gitRemote}.`);
      }
    }
    this.lock?.release();
    this.log('');
    for (const line of complianceSummary(plan)) this.log(line);
    this.log('');
    // As paths from where the user stands (the repository may be a directory below, or above).
    const at = this._shownTarget() === '.' ? '' : `${this._shownTarget().replace(/^\.\//, '')}/`;
    const readmes = plan.clusters.length <= 5 ? plan.clusters.map((c) => `${at}clusters/${c.name}/README.md`).join(', ') : `${at}clusters/<cluster>/README.md (${plan.clusters.length} clusters)`;
    // Said on the first run (a day-2 run would only repeat it and teach people to skip the "!" lines).
    if (this.initialRun && this.answers.ci.length > 0 && this.answers.validator === `${GENERATOR_NAME}@${GENERATOR_VERSION}` && !PUBLISHED_ON_NPM) {
      this.log(
        `! The generated CI validates with \`npx --package=${this.answers.validator}\`, which is not on the public npm registry yet: that job fails until it is.` +
          ` Host the tarball (npm pack) or this tool's repository where your CI can reach it, and re-run with --validator <its URL> (README.md: Install).`,
      );
    }
    if (this.initialRun || !this.answers.git) this.log(`Next: bootstrap each cluster as its README says: ${readmes}`);
    else {
      // A day-2 change reaches bootstrapped clusters through the remote; new clusters still need bootstrapping.
      const engine = this.answers.engine === 'argocd' ? 'Argo CD' : 'Flux';
      const make = toMake.length > 0 ? (this.answers.push ? 'make the buckets above (it is pushed already)' : 'make the buckets above, then push it (git push)') : this.answers.push ? 'it is pushed' : 'push it (git push)';
      this.log(`Next: ${make}; each cluster's ${engine} applies it at its next sync. A cluster not bootstrapped yet: its README (${readmes}).`);
    }
  }

  /** After a day-2 commit: what it did, in its subject, and the files it added, changed and removed. */
  private async _logChanges(subject: string, sha: string): Promise<void> {
    const changes = await changedFiles(this.target, sha);
    const count = (c: string) => changes.filter((x) => x.change === c).length;
    const counts = ['added', 'changed', 'removed'].filter((c) => count(c) > 0).map((c) => `${count(c)} ${c}`);
    this.log(`  ${subject}: ${counts.join(', ') || 'no file changed'}`);
    const shown = this._opt('verbose') ? changes : changes.slice(0, 12);
    const mark = { added: '+', changed: '~', removed: '-' } as const;
    for (const c of shown) this.log(`    ${mark[c.change]} ${c.path}`);
    if (shown.length < changes.length) this.log(`    … and ${changes.length - shown.length} more (--verbose lists them; git show --stat ${sha})`);
  }

  /** --push-timeout in seconds (default 120), checked like an answer. */
  private _pushTimeout(): number {
    const given = this._opt<string>('push-timeout');
    if (given === undefined) return 120;
    const n = Number(given);
    if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new AnswersError([{ answer: 'push-timeout', problem: `${JSON.stringify(String(given))} is not a whole number of seconds`, allowed: '1 to 86400' }]);
    return n;
  }
}

/** Files in the directory before a first run that the render does not write (they stay the user's). */
async function untrackedBefore(dir: string, files: { has(path: string): boolean }): Promise<string[]> {
  if (await isRepositoryRoot(dir)) return [];
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (path === PLAIN_LOCK_FILE || path === PLAIN_SCRATCH) continue;
      if (e.isDirectory()) walk(path);
      else if (!files.has(path)) found.push(path);
    }
  };
  walk('');
  return found.sort();
}

/**
 * The render of previously stored answers (with the secret files the repository has), or undefined
 * when they no longer resolve.
 */
/** Stored answers as this version resolves them, or undefined where it cannot read them. */
function resolveStored(stored: Record<string, unknown>, ctx: QuestionContext): Answers | undefined {
  try {
    const { raw, problems } = gatherAnswers({ flags: stored });
    return problems.length > 0 ? undefined : resolveAnswers(withDefaults(raw, ctx), ctx);
  } catch {
    return undefined;
  }
}

/** The plan of stored answers (a day-2 run's starting point). */
function planStored(stored: Record<string, unknown>, ctx: QuestionContext): Plan | undefined {
  const answers = resolveStored(stored, ctx);
  return answers && buildPlan(answers, ctx.catalog);
}

function renderStored(stored: Record<string, unknown>, ctx: QuestionContext, onDisk: (path: string) => string | undefined): PreparedRun | undefined {
  const answers = resolveStored(stored, ctx);
  if (!answers) return undefined;
  try {
    return render(answers, ctx.catalog, existingSecretFiles(buildPlan(answers, ctx.catalog), onDisk));
  } catch {
    return undefined;
  }
}

/**
 * A render commit's render made again from the files it holds: its answers (`.yo-rc.json`, when this
 * version made it) and its secret files, as they were. Rendering is deterministic, so the result is
 * byte-identical to the original when nothing else changed; the caller compares the trees.
 */
function rebuildRender(files: ReadonlyMap<string, string>, ctx: QuestionContext): Iterable<[string, string]> | undefined {
  let stored: StoredConfig | undefined;
  try {
    stored = (JSON.parse(files.get('.yo-rc.json') ?? '{}') as Record<string, StoredConfig>)[GENERATOR_NAME];
  } catch {
    return undefined;
  }
  if (!stored?.answers || stored.version !== GENERATOR_VERSION) return undefined;
  return renderStored(stored.answers, ctx, (p) => files.get(p))?.files.entries();
}



