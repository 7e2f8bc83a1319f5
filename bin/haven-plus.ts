#!/usr/bin/env node
/**
 * haven-plus: the package's own CLI. Same options as `yo haven-plus` (both come from the question
 * table), without yo's start-up cost; plus `validate`.
 */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HavenPlusError } from '../lib/errors.js';
import { GENERATOR_VERSION } from '../lib/package-info.js';
import { QUESTIONS, RUN_OPTIONS } from '../lib/questions.js';

const here = dirname(fileURLToPath(import.meta.url));
const GENERATOR_PATH = join(here, '..', 'generators', 'app', 'index.js');

function fail(error: unknown): never {
  if (error instanceof HavenPlusError) {
    process.stderr.write(`haven-plus: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const e = error as Error;
  process.stderr.write(`haven-plus: unexpected error (a bug, please report it): ${e?.stack ?? String(error)}\n`);
  process.exit(70);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function buildProgram(): Command {
  const program = new Command('haven-plus')
    .description('Generate a Haven+ GitOps repository (Flux or Argo CD), validate it offline and commit it.')
    .version(GENERATOR_VERSION, '-v, --version')
    .argument('[directory]', 'where the repository is created (default: the current directory)')
    .showHelpAfterError('(run haven-plus --help for the options)')
    .allowExcessArguments(false);
  for (const q of QUESTIONS) {
    if (q.type === 'boolean') {
      program.addOption(new Option(`--${q.name}`, q.description));
      program.addOption(new Option(`--no-${q.name}`).hideHelp());
    } else {
      const option = new Option(`--${q.name} ${q.valueName ?? '<value>'}`, q.description);
      // Lists may be comma-separated or repeated: --age-recipient a --age-recipient b.
      program.addOption(q.type === 'list' ? option.argParser(collect) : option);
    }
  }
  for (const o of RUN_OPTIONS) {
    const flags = o.type === 'boolean' ? `--${o.name}` : `--${o.name} ${o.valueName ?? '<value>'}`;
    const option = new Option(o.name === 'yes' ? `-y, ${flags}` : flags, o.description);
    program.addOption(o.type === 'list' ? option.argParser(collect) : option);
  }
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

Without a terminal, every answer must come from flags or --answers, or --yes fills in the defaults.
Docs: docs/usage.md (options), docs/providers.md, docs/components.md.`,
  );
  program.action(async (directory: string | undefined, opts: Record<string, unknown>) => {
    await generate(directory, opts);
  });
  program
    .command('validate')
    .description('validate a generated (or hand-edited) repository offline: YAML, kustomize builds, strict schemas with CEL, references, chart values')
    .argument('[directory]', 'repository to check', '.')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['human', 'json', 'junit']).default('human'))
    .addOption(new Option('--schema-location <dir|url-template>', `where schemas are found, in order (repeatable; default: the bundled schemas, then the public catalogs; env HAVEN_PLUS_SCHEMA_LOCATION)`).argParser(collect))
    .addOption(new Option('--chart-data <dir>', 'pinned chart data: <dir>/INDEX.json and <chart>/<version>/values.yaml (repeatable; default: bundled; env HAVEN_PLUS_CHART_DATA)').argParser(collect))
    .action(async (directory: string, opts: { output: 'human' | 'json' | 'junit'; schemaLocation?: string[]; chartData?: string[] }) => {
      const { validateDirectory } = await import('../lib/validate/directory.js');
      const { formatHuman, formatJson, formatJunit } = await import('../lib/validate/report.js');
      if (!existsSync(resolve(directory))) throw new HavenPlusError(`validate: directory ${JSON.stringify(directory)} does not exist`, 2);
      const report = await validateDirectory(resolve(directory), { schemaLocations: opts.schemaLocation, chartData: opts.chartData });
      const text = opts.output === 'json' ? formatJson(report) : opts.output === 'junit' ? formatJunit(report, report.paths) : formatHuman(report);
      process.stdout.write(`${text}\n`);
      process.exitCode = report.findings.some((f) => f.severity === 'error') ? 1 : 0;
    });
  return program;
}

/** commander keys are camelCase; the generator's options are the flag names. */
function toGeneratorOptions(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...QUESTIONS.map((q) => q.name), ...RUN_OPTIONS.map((o) => o.name)]) {
    const camel = name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (opts[camel] !== undefined) out[name] = opts[camel];
  }
  return out;
}

async function generate(directory: string | undefined, opts: Record<string, unknown>): Promise<void> {
  const { createEnv } = await import('yeoman-environment');
  const options = toGeneratorOptions(opts);
  const env = createEnv({
    cwd: process.cwd(),
    force: options.force === true,
    dryRun: options['dry-run'] === true,
    skipInstall: true,
  } as never);
  env.register(GENERATOR_PATH, { namespace: 'haven-plus:app' });
  await env.run(['haven-plus:app', ...(directory ? [directory] : [])], { ...options, skipInstall: true } as never);
}

buildProgram()
  .parseAsync(process.argv)
  .catch(fail);
