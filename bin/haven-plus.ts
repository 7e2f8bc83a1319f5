#!/usr/bin/env node
/**
 * haven-plus: the package's own CLI. Same options as `yo haven-plus` (both come from the question
 * table), without yo's start-up cost; plus `validate`.
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HavenPlusError, machineError } from '../lib/errors.js';
import { DIST_DIR, GENERATOR_VERSION, PACKAGE_ROOT } from '../lib/package-info.js';
import { QUESTIONS, RUN_OPTIONS } from '../lib/questions.js';
import { describeDefault, referenceContext } from '../lib/reference.js';
import { nearest } from '../lib/suggest.js';
import { EXISTS_FORMS, parseMadeElsewhere } from '../lib/validate/elsewhere.js';

function fail(caught: unknown): never {
  // commander has said what is wrong with the command line (or shown help or the version): invalid input is exit 2.
  if (caught instanceof CommanderError) process.exit(caught.exitCode === 0 ? 0 : 2);
  // Ctrl-C or Ctrl-D at a prompt (inquirer): stopped by the user before anything was written.
  const name = (caught as Error)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError') {
    process.stderr.write('haven-plus: stopped at a prompt: nothing was written or committed.\n');
    process.exit(130);
  }
  // A file-system failure that escaped (no space, no permission): the machine's, said as such (exit 4).
  const error = machineError(caught, 'the run stopped');
  if (error instanceof HavenPlusError) {
    process.stderr.write(`haven-plus: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const e = error as Error;
  process.stderr.write(`haven-plus: unexpected error (a bug, please report it): ${e?.stack ?? String(error)}\n`);
  process.exit(70);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A question's help line: its description, with the values a choice allows and the default where they are short. */
function helpText(q: (typeof QUESTIONS)[number], override?: string): string {
  const description = override ?? q.description;
  const extra: string[] = [];
  if ((q.type === 'choice' || q.type === 'choices') && !/\ballowed\b/.test(description)) extra.push(`allowed: ${q.allowed(helpContext())}`);
  // Unless the description says its default itself ("default: those of --preset").
  if (q.default && !/\bdefault:/i.test(description)) {
    const value = describeDefault(q.name).replaceAll('`', '');
    if (value !== '(required)' && value.trim() !== '' && value.length <= 60) extra.push(`default: ${value}`);
  }
  return extra.length > 0 ? `${description} (${extra.join('; ')})` : description;
}
// The catalog the help lines name, read when help is first shown: a run that shows none (validate, a
// generation) does not read it for its option descriptions.
let helpContextRead: ReturnType<typeof referenceContext> | undefined;
const helpContext = () => (helpContextRead ??= referenceContext());

/** An option whose help line is made when commander first reads it (for --help or docs/options.md). */
function describedLater(option: Option, describe: () => string): Option {
  let text: string | undefined;
  Object.defineProperty(option, 'description', { get: () => (text ??= describe()), set: (value: string) => void (text = value), enumerable: true, configurable: true });
  return option;
}

/**
 * The answer flags (from the question table) and the run options, on the program and on each subcommand.
 * `shown`: the answers a subcommand shows in its help (with its own wording where given); the others are
 * still accepted there, as under yo, but not listed.
 */
function addAnswerOptions(command: Command, shown?: Record<string, string | undefined>): Command {
  command.exitOverride();
  for (const q of QUESTIONS) {
    const hidden = shown !== undefined && !(q.name in shown);
    if (q.type === 'boolean') {
      const flag = describedLater(new Option(`--${q.name}`), () => helpText(q, shown?.[q.name]));
      command.addOption(hidden ? flag.hideHelp() : flag);
      command.addOption(new Option(`--no-${q.name}`).hideHelp());
    } else {
      const option = describedLater(new Option(`--${q.name} ${q.valueName ?? '<value>'}`), () => helpText(q, shown?.[q.name]));
      // Lists may be comma-separated or repeated: --age-recipient a --age-recipient b.
      const added = q.type === 'list' ? option.argParser(collect) : option;
      command.addOption(hidden ? added.hideHelp() : added);
    }
  }
  // In a repository that exists (a day-2 command), what --force and --push do there.
  const dayTwo: Record<string, string> = {
    force: "where your edits and the generator's changes overlap, take the generator's side (without it the run stops and names the files)",
  };
  for (const o of RUN_OPTIONS) {
    const flags = o.type === 'boolean' ? `--${o.name}` : `--${o.name} ${o.valueName ?? '<value>'}`;
    const option = new Option(o.name === 'yes' ? `-y, ${flags}` : flags, (shown !== undefined && dayTwo[o.name]) || o.description);
    const added = o.type === 'list' ? option.argParser(collect) : option;
    // A day-2 command reads the stored answers: a whole answers file or fleet file is the first run's.
    command.addOption(shown !== undefined && ['answers', 'clusters-file', 'skip-install'].includes(o.name) ? added.hideHelp() : added);
  }
  if (shown !== undefined && !('push' in shown)) {
    // Pushing the day-2 commit applies on every command (the question is listed with the answers above).
    const push = command.options.find((o) => o.long === '--push');
    if (push) {
      push.hidden = false;
      push.description = 'push the commit to the repository\'s remote (the stored --git-remote)';
    }
  }
  return command;
}

/** Day-2 subcommands: each is a subgenerator (also `yo haven-plus:<name>`), run in the current directory. */
const DAY_TWO: { name: string; argument?: string; description: string; extra?: Option[]; shown: Record<string, string | undefined>; example: string }[] = [
  { name: 'database', argument: '<name>', description: 'add a PostgreSQL database (CloudNativePG cluster with backups), wired like the first', shown: { 'database-clients': undefined }, example: 'haven-plus database orders' },
  { name: 'bucket', argument: '<name>', description: 'add an application bucket on every cluster\'s object storage', shown: {}, example: 'haven-plus bucket media' },
  {
    name: 'cluster',
    argument: '<name>',
    description: 'add a cluster with every platform-wide component',
    shown: { provider: "the new cluster's provider profile", 'cluster-settings': undefined, 'cluster-components': undefined, 'sandbox-runtime': undefined },
    example: 'haven-plus cluster acc --provider scaleway',
  },
  {
    name: 'component',
    argument: '<id>',
    description: 'add a component (and what it needs) to every cluster or one; --remove takes it out again',
    extra: [new Option('--cluster <name>', 'only this cluster (default: every cluster)'), new Option('--remove', 'take the component out instead of adding it')],
    // What a component may need answered when it comes in.
    shown: Object.fromEntries(['object-storage', 'gateway', 'domain', 'keycloak-hostname', 'certificate-issuer', 'acme-email', 'secret-store', 'registry-mirror'].map((n) => [n, undefined])),
    example: 'haven-plus component velero --cluster prod',
  },
  {
    name: 'upgrade',
    description: "move the repository to this version's catalog (chart versions, templates), showing what changes first",
    extra: [new Option('--environments <env,...>', 'move only these environments to the new chart versions; the others are held at what they run now')],
    shown: {},
    example: 'haven-plus upgrade --environments test',
  },
];
const COMMANDS = [...DAY_TWO.map((c) => c.name), 'validate'];

/** `haven-plus upgrad` or `haven-plus databse orders`: a misspelt command, not a new repository of that name. */
function misspeltCommand(word: string): void {
  // A name that extends a command (cluster1, buckets) is a name.
  const command = existsSync(resolve(word)) || COMMANDS.some((c) => word.startsWith(c)) ? undefined : nearest(word, COMMANDS, false);
  if (command) {
    throw new HavenPlusError(`${JSON.stringify(word)} is not a command, and there is no directory of that name: did you mean \`haven-plus ${command}\`? (To create a repository in a new directory ${word}, add --name ${word}.)`, 2);
  }
}

function buildProgram(): Command {
  const program = addAnswerOptions(
    new Command('haven-plus')
      .description('Generate a Haven+ GitOps repository (Flux or Argo CD), validate it offline and commit it.')
      .version(GENERATOR_VERSION, '-v, --version')
      .argument('[directory]', 'where the repository is created (default: the current directory)')
      .showHelpAfterError('(run haven-plus --help for the options)')
      .allowExcessArguments(false)
      // Options after a subcommand belong to it (`cluster acc --provider scaleway`).
      .enablePositionalOptions(),
  );
  program.addHelpText(
    'after',
    `
Examples:
  haven-plus my-platform --yes                       # defaults: Flux, local sandbox, object storage + PostgreSQL
  haven-plus gitops --yes --engine flux --provider ovhcloud --clusters prod --components object-storage,postgres
  haven-plus gitops --yes --engine argocd --provider scaleway --clusters acc,prod:ovhcloud \\
      --git-remote https://gitlab.example.nl/platform/gitops.git
  haven-plus gitops --answers answers.yaml            # answers file: same keys as the flags (schemas/answers.schema.json)
  haven-plus validate gitops                         # check a repository offline
  cd gitops && haven-plus database orders            # day 2, inside a repository: database, bucket, cluster, component, upgrade

Without a terminal, every answer must come from flags or --answers, or --yes fills in the defaults.
Docs: docs/getting-started.md, docs/usage.md, docs/options.md, docs/providers.md, docs/components.md.`,
  );
  program.action(async (directory: string | undefined, opts: Record<string, unknown>) => {
    if (directory && opts.name === undefined) misspeltCommand(directory);
    await generate('app', directory ? [directory] : [], opts);
  });
  for (const sub of DAY_TWO) {
    const command = addAnswerOptions(new Command(sub.name).description(`${sub.description} (inside a generated repository)`).allowExcessArguments(false), sub.shown);
    if (sub.argument) command.argument(sub.argument);
    for (const option of sub.extra ?? []) command.addOption(option);
    command.addHelpText('after', `\nExample:\n  ${sub.example}\n\nEnds with one commit; your edits are merged, never overwritten (docs/usage.md, "Day 2").`);
    command.action(async (...args: unknown[]) => {
      const opts = (args[sub.argument ? 1 : 0] as Record<string, unknown>) ?? {};
      await generate(sub.name, sub.argument ? [String(args[0])] : [], opts, sub.extra?.map((o) => o.attributeName()) ?? []);
    });
    program.addCommand(command);
  }
  program
    .command('validate')
    .description('validate a generated (or hand-edited) repository offline: what each cluster applies, found from its Flux Kustomizations or Argo CD Applications, built as kustomize builds it and checked for YAML, strict schemas with CEL, references, chart values and secrets')
    .argument('[directory]', 'repository to check', '.')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['human', 'json', 'junit']).default('human'))
    .addOption(new Option('--schema-location <dir|url-template>', `where schemas are found, in order (repeatable; default: the bundled schemas, then the public catalogs; env HAVEN_PLUS_SCHEMA_LOCATION)`).argParser(collect))
    .addOption(new Option('--chart-data <dir>', 'pinned chart data: <dir>/INDEX.json and <chart>/<version>/values.yaml (repeatable; default: bundled; env HAVEN_PLUS_CHART_DATA)').argParser(collect))
    .addOption(new Option('--exists <kind/namespace/name>', `an object made outside the repository (another repository's script, the platform team) that clusters have: a namespace is taken as created, a substituteFrom ConfigMap as there with values not known here, a Secret as no longer to create (repeatable; ${EXISTS_FORMS})`).argParser(collect))
    .addHelpText('after', '\nExit codes: 0 no errors (warnings and notes may remain), 1 errors found, 2 nothing to validate (no such directory, a file, or no cluster found), 3 no errors, but a chart version (or range) the pinned chart data does not hold: its values were checked against the nearest pinned version only.')
    .action(async (directory: string, opts: { output: 'human' | 'json' | 'junit'; schemaLocation?: string[]; chartData?: string[]; exists?: string[] }) => {
      const { validateDirectory } = await import('../lib/validate/directory.js');
      const exists = (opts.exists ?? []).map(parseMadeElsewhere);
      const { exitCode, formatHuman, formatJson, formatJunit } = await import('../lib/validate/report.js');
      if (!existsSync(resolve(directory))) throw new HavenPlusError(`validate: directory ${JSON.stringify(directory)} does not exist`, 2);
      if (!statSync(resolve(directory)).isDirectory()) throw new HavenPlusError(`validate: ${JSON.stringify(directory)} is a file; give the repository's directory (what Flux or Argo CD syncs)`, 2);
      const report = await validateDirectory(resolve(directory), { schemaLocations: opts.schemaLocation, chartData: opts.chartData, exists });
      const text = opts.output === 'json' ? formatJson(report) : opts.output === 'junit' ? formatJunit(report, report.paths) : formatHuman(report);
      process.stdout.write(`${text}\n`);
      // Nothing any cluster applies is no repository to pass: bad input, as a missing directory is.
      process.exitCode = exitCode(report);
    });
  return program;
}

/** commander keys are camelCase; the generator's options are the flag names. */
function toGeneratorOptions(opts: Record<string, unknown>, extra: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...QUESTIONS.map((q) => q.name), ...RUN_OPTIONS.map((o) => o.name), ...extra]) {
    const camel = name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (opts[camel] !== undefined) out[name] = opts[camel];
  }
  return out;
}

/**
 * The generators, loaded when a command needs one. The imports are literal so that the bundler
 * (scripts/bundle-bin.mjs) puts each into the bin's own chunks: `--help` and `validate` load none of Yeoman.
 */
const GENERATORS: Record<string, () => Promise<{ default: unknown }>> = {
  app: () => import('../generators/app/index.js'),
  database: () => import('../generators/database/index.js'),
  bucket: () => import('../generators/bucket/index.js'),
  cluster: () => import('../generators/cluster/index.js'),
  component: () => import('../generators/component/index.js'),
  upgrade: () => import('../generators/upgrade/index.js'),
};

async function generate(generator: string, args: string[], opts: Record<string, unknown>, extra: string[] = []): Promise<void> {
  const [{ createEnv }, { default: Generator }] = await Promise.all([import('yeoman-environment'), GENERATORS[generator]()]);
  const options = toGeneratorOptions(opts, extra);
  const env = createEnv({
    cwd: process.cwd(),
    force: options.force === true,
    dryRun: options['dry-run'] === true,
    skipInstall: true,
  } as never);
  // Registered as a class (the bundle holds it); `resolved` is where `yo` would find the same generator.
  env.register(Generator, { namespace: `haven-plus:${generator}`, resolved: join(DIST_DIR, 'generators', generator, 'index.js'), packagePath: PACKAGE_ROOT });
  await env.run([`haven-plus:${generator}`, ...args], { ...options, skipInstall: true } as never);
}

// Before commander, which would call `databse orders` too many arguments.
const [first, ...rest] = process.argv.slice(2);
try {
  if (first && !first.startsWith('-') && !COMMANDS.includes(first) && rest.some((a) => !a.startsWith('-')) && !rest.some((a) => a === '--name' || a.startsWith('--name='))) misspeltCommand(first);
} catch (error) {
  fail(error);
}
buildProgram()
  .parseAsync(process.argv)
  .catch(fail);
