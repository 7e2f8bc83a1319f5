#!/usr/bin/env node
/**
 * haven-plus: the package's own CLI. Same options as `yo haven-plus` (both come from the question
 * table), without yo's start-up cost; plus `validate`.
 */
import { Command, Option } from 'commander';
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
      program.addOption(new Option(`--${q.name} ${q.valueName ?? '<value>'}`, q.description));
    }
  }
  for (const o of RUN_OPTIONS) {
    const flags = o.type === 'boolean' ? `--${o.name}` : `--${o.name} ${o.valueName ?? '<value>'}`;
    program.addOption(new Option(o.name === 'yes' ? `-y, ${flags}` : flags, o.description));
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
    .description('validate a generated (or hand-edited) repository offline')
    .argument('[directory]', 'repository to check', '.')
    .addOption(new Option('--output <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (directory: string, opts: { output: string }) => {
      const { validateDirectory, formatReport } = await import('../lib/validate/directory.js');
      const report = await validateDirectory(resolve(directory));
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      process.exitCode = report.findings.length === 0 ? 0 : 1;
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
