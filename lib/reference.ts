/**
 * Everything derived from the question table for people and editors: the answers-file JSON Schema
 * (shipped as schemas/answers.schema.json) and the options page (docs/options.md).
 */
import { loadCatalog } from './catalog.js';
import { QUESTIONS, RUN_OPTIONS, type QuestionContext } from './questions.js';

const SCHEMA_ID = 'https://github.com/haven-plus/generator-haven-plus/schemas/answers.schema.json';

function referenceContext(): QuestionContext {
  return { catalog: loadCatalog(), directoryName: '<directory>' };
}

export function answersSchema(): Record<string, unknown> {
  const ctx = referenceContext();
  const properties: Record<string, unknown> = {};
  for (const q of QUESTIONS) {
    const description = `${q.description}. Allowed: ${q.allowed(ctx)}`;
    const choices = q.choices?.(ctx, {}).map((c) => c.value);
    switch (q.type) {
      case 'boolean':
        properties[q.name] = { type: 'boolean', description };
        break;
      case 'choice':
        properties[q.name] = { type: 'string', enum: choices, description };
        break;
      case 'choices':
        properties[q.name] = {
          description,
          oneOf: [
            { type: 'array', items: { type: 'string', enum: choices }, uniqueItems: true, minItems: 1 },
            { type: 'string', description: 'comma-separated' },
          ],
        };
        break;
      case 'list':
        properties[q.name] = {
          description,
          oneOf: [{ type: 'array', items: { type: 'string' }, uniqueItems: true }, { type: 'string', description: 'comma-separated' }],
        };
        break;
      default:
        properties[q.name] = { type: 'string', minLength: 1, description };
    }
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'generator-haven-plus answers',
    description: 'Answers for `haven-plus --answers <file>` / `yo haven-plus --answers <file>`: the same keys as the command-line flags.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

export function optionsDoc(): string {
  const ctx = referenceContext();
  const rows = QUESTIONS.map((q) => {
    const flag = q.type === 'boolean' ? `--${q.name}` + (q.name === 'git' ? ` / --no-${q.name}` : '') : `--${q.name} ${q.valueName ?? '<value>'}`;
    const def = q.default ? describeDefault(q.name) : q.optional ? '(none)' : '(required)';
    return `| \`${flag}\` | ${q.description} | ${def} | ${q.allowed(ctx).replace(/\|/g, '\\|')} |`;
  });
  const runRows = RUN_OPTIONS.map((o) => `| \`--${o.name}${o.type === 'string' ? ` ${o.valueName}` : ''}\` | ${o.description} |`);
  return `# Options

<!-- Generated from lib/questions.ts by \`npm run docs\`; do not edit by hand. -->

Every question can be answered by a flag, by a key of the same name in an answers file
(\`--answers answers.yaml\`, JSON Schema: \`schemas/answers.schema.json\`), or at the prompt.
Precedence: flags, then the answers file, then the answers stored in \`.yo-rc.json\` by an earlier run.

Usage: \`haven-plus [directory] [options]\` or \`yo haven-plus [directory] [options]\`.

| flag | meaning | default | allowed |
| --- | --- | --- | --- |
${rows.join('\n')}

## Run options

| flag | meaning |
| --- | --- |
${runRows.join('\n')}

Yeoman's own options (\`--ask-answered\`, \`--skip-cache\`, …) are accepted under \`yo\`.

## Without a terminal

When stdin is not a terminal (CI, scripts, pipes) nothing is ever prompted: an answer that is
neither given nor defaulted by \`--yes\` ends the run at once with exit code 2 and a list of every
missing or invalid answer. Nothing is written in that case.

## Exit codes

| code | meaning |
| --- | --- |
| 0 | success |
| 1 | a run-time failure (git, file system) |
| 2 | invalid or missing answers, or a directory that cannot be used |
| 3 | the generator produced output that fails its own validation (a bug: nothing is written) |
`;
}

function describeDefault(name: string): string {
  switch (name) {
    case 'name':
      return 'the directory name';
    case 'clusters':
      return '`local` for provider local, else `prod`';
    case 'components':
      return '`object-storage,postgres`';
    case 'databases':
      return '`app`';
    case 'buckets':
      return 'none';
    default: {
      const q = QUESTIONS.find((x) => x.name === name)!;
      const v = q.default!({ provider: 'local', components: ['object-storage', 'postgres'] }, referenceContext());
      return `\`${String(v)}\``;
    }
  }
}
