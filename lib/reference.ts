/**
 * Everything derived from the question table for people and editors: the answers-file JSON Schema
 * (shipped as schemas/answers.schema.json) and the options page (docs/options.md).
 */
import type { ChartFacts } from './chart-facts.js';
import { loadCatalog } from './catalog.js';
import { QUESTIONS, RUN_OPTIONS, type QuestionContext } from './questions.js';

const SCHEMA_ID = 'https://github.com/haven-plus/generator-haven-plus/schemas/answers.schema.json';

export function referenceContext(): QuestionContext {
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
  const runRows = RUN_OPTIONS.map((o) => `| \`--${o.name}${o.type === 'boolean' ? '' : ` ${o.valueName}`}\` | ${o.description} |`);
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
| 1 | a run-time failure (git failed), or your edits and the generator's changes overlap: the repository is left in git's merge state to resolve (docs/usage.md, "What happens when…") |
| 2 | invalid or missing answers, a directory that cannot be used (not empty, a file, inside another repository, a symbolic link leading out of it, a detached HEAD, uncommitted changes, a merge in progress), or Secret files in it that fail validation (made by hand: the message names them) |
| 3 | the generator produced output that fails its own validation (a bug: nothing is written) |
| 4 | the machine stops the run: no space left, a read-only file system, no permission, git missing or older than 2.28 (checked before writing where it can be) |
| 5 | another haven-plus run kept the repository busy for 10 minutes (or git's index lock stayed): the message names the run |
| 6 | the commit is made, but the push failed or took longer than --push-timeout: push later |
| | \`haven-plus validate\`: 0 no errors (warnings and notes may remain), 1 errors found, 2 nothing to validate (no such directory, a file, or no cluster: no Flux Kustomization, flux-system/ or Argo CD Application in it), 3 no errors, but a chart version or range the pinned chart data does not hold: its values were checked against the nearest pinned version, problems as warnings (the generated CI shows this as a warning) |
| 130, 143, 129 | stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP: at a prompt at once, nothing written; otherwise at a safe point, files written are complete, nothing half-committed; run the same command again |
| 70 | an unexpected error: a bug, please report it |

These are the \`haven-plus\` bin's codes: use it in scripts and CI. Under \`yo haven-plus\`, yo prints
\`Error <command>\` above the same message and exits 1 for every failure.
`;
}

export function describeDefault(name: string): string {
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
      return v === undefined ? '(required)' : `\`${String(v)}\``;
    }
  }
}

export function providersDoc(): string {
  const { providers } = loadCatalog();
  const rows = [...providers.values()].map((p) => {
    const own = Object.entries(p.s3?.endpoints ?? {}).map(([region, url]) => `${region}: \`${url}\``);
    const pattern = p.s3?.regions.every((r) => p.s3?.endpoints?.[r] !== undefined) ? [] : [`${own.length > 0 ? 'others: ' : ''}\`${p.s3?.endpoint}\``];
    const s3 = p.s3 ? (p.s3.endpoint ? [...own, ...pattern].join('; ') : p.s3.endpointHint ?? 'per instance') : 'none';
    const regions = p.s3?.regions.length ? p.s3.regions.map((r) => (r === p.s3!.defaultRegion ? `**${r}**` : r)).join(', ') : '-';
    const dns = p.dns ? `\`${p.dns.provider === 'webhook' ? `webhook ${p.dns.webhook!.repository.split('/').pop()}` : p.dns.provider}\`: ${[...p.dns.secretKeys.map((k) => k.name), ...p.dns.files.map((f) => f.key)].map((k) => `\`${k}\``).join(', ')}` : '-';
    return `| \`${p.id}\` | ${p.title} | ${p.storage.rwo ? `\`${p.storage.rwo}\`` : 'cluster default'} | ${p.storage.rwx ? `\`${p.storage.rwx}\`` : '-'} | ${s3} | ${regions} | ${p.defaultObjectStorage} | ${dns} |`;
  });
  const checks = [...providers.values()]
    .filter((p) => p.check.length > 0)
    .map((p) => `### ${p.id}\n\n${p.check.map((c) => `- ${c}`).join('\n')}\n\nSources: ${p.sources.join('; ')}.`);
  return `# Provider profiles

<!-- Generated from templates/providers/*.yaml by \`npm run docs\`; do not edit by hand. -->

A provider profile holds the facts the generator needs about where a cluster runs: storage classes,
the S3 service (endpoint, regions, addressing) and load-balancer annotations. Moving a cluster to
another provider is a change of profile: \`--clusters prod:scaleway\` instead of \`prod:azure\`.

| id | provider | RWO StorageClass | RWX | S3 endpoint | regions (default bold) | default object storage | ExternalDNS provider: credential keys |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

\`--region\`, \`--s3-endpoint\` and \`--storage-class\` override the profile for clusters on the default
provider (\`--provider\`). Adding a provider is adding a file under \`templates/providers/\`.

## Defaults to check

Facts we could not confirm are defaults the generated README asks you to check.

${checks.join('\n\n')}
`;
}

/** Who pulls a component in, said on its page. */
function usedBy(id: string): string[] {
  const { components, presets } = loadCatalog();
  const out: string[] = [];
  for (const c of components.values()) {
    for (const r of c.requires) if (r.id === id) out.push(`${r.optional ? 'ordered before' : 'required by'} [${c.id}](${c.id}.md)${r.optional ? ' when both run' : ''}: ${r.reason}`);
    for (const [backend, impl] of Object.entries(c.backends ?? {})) if (impl === id) out.push(`implements [${c.id}](${c.id}.md) when its backend is \`${backend}\``);
  }
  const inPresets = [...presets.values()].filter((p) => p.components.includes(id)).map((p) => `\`${p.id}\``);
  if (inPresets.length > 0) out.push(`in the preset${inPresets.length > 1 ? 's' : ''} ${inPresets.join(', ')}`);
  return out;
}

/** A release's chart facts, as a component page shows them. */
function chartFactsSection(release: string, facts: ChartFacts, namespace: string): string[] {
  const foreign = facts.foreignNamespaces.map((f) => `\`${f.namespace}\` (${f.kinds.join(', ')}${f.value ? `; moved by \`${f.value}\`` : ''}${f.condition ? `; ${f.condition}` : ''})`);
  const kinds = [...new Set(facts.clusterScopedKinds.map((k) => (k.group ? `${k.kind}.${k.group}` : k.kind)))];
  const webhooks = facts.webhooks.map((w) => `${w.kind} \`${w.name}\` → Service \`${w.service}\`:${w.servicePort} (pod port ${w.targetPort}), failurePolicy ${w.failurePolicy}`);
  const workloads = facts.workloads.map((w) => {
    const ha = [w.replicas ? `replicas \`${w.replicas.value}\` (default ${w.replicas.default})` : 'replicas fixed', w.podDisruptionBudget ? `PDB \`${w.podDisruptionBudget.value}\` (default ${w.podDisruptionBudget.default})` : 'no PDB value', ...(w.leaderElection ? ['leader election'] : [])];
    return `${w.kind} \`${w.name}\`: ports ${w.ports.map((p) => `${p.port} (${p.purpose})`).join(', ') || '-'}; ${ha.join('; ')}`;
  });
  const images = facts.images.map((i) => `\`${i.repository}\`${i.alternatives?.length ? ` (also ${i.alternatives.map((a) => `\`${a.repository}\``).join(', ')})` : ''}`);
  return [
    `### \`${release}\`: ${facts.chart} ${facts.version}`,
    '',
    `Read from ${facts.source.repository} at \`${facts.source.ref}\`, \`${facts.source.path}\` ([data](../../${facts.file})).`,
    '',
    `- namespaces besides \`${namespace}\`: ${foreign.join('; ') || 'none'}`,
    `- cluster-scoped kinds: ${kinds.join(', ') || 'none'}`,
    `- webhooks: ${webhooks.join('; ') || 'none'}`,
    ...workloads.map((w) => `- ${w}`),
    `- images: ${images.join(', ') || 'none'}`,
    '',
  ];
}

/** One page per component (docs/components/<id>.md): what it replaces, its pinned version, its namespace, what you provide. */
export function componentPages(): Map<string, string> {
  const { components } = loadCatalog();
  const pages = new Map<string, string>();
  for (const c of components.values()) {
    const releases = (c.controller?.releases ?? []).map((r) => {
      const what = r.kind === 'manifests' ? `manifests \`${r.chart}\` of` : r.source.type === 'git' ? `chart \`${r.chart}\` in` : `chart \`${r.chart}\` from`;
      const unchecked = r.valuesUnchecked ? ` (values not checked offline: ${r.valuesUnchecked})` : '';
      return `| \`${r.name}\` | ${what} ${r.source.url} | \`${r.version}\`${unchecked} | ${r.images.map((i) => `\`${i}\``).join('<br>') || '-'} |`;
    });
    const secrets = c.secrets.map((s) => {
      const keys = s.keysFrom === 'dns' ? "those of the cluster provider's DNS credential ([providers](../providers.md))" : s.keys.map((k) => `\`${k.name}\` (${k.description})`).join(', ');
      return `- Secret \`${s.name}\` in namespace \`${s.stage === 'controller' ? c.namespace : c.config!.namespace}\`: ${s.description}; keys ${keys}.`;
    });
    const requires = c.requires.map((r) => (r.optional ? `- after [${r.id}](${r.id}.md) when the cluster runs it (before its ${r.stage}): ${r.reason}` : `- [${r.id}](${r.id}.md) (before its ${r.stage}): ${r.reason}`));
    const used = usedBy(c.id);
    const facts = (c.controller?.releases ?? []).flatMap((r) => (r.facts ? chartFactsSection(r.name, r.facts, c.namespace) : []));
    const page = [
      `# ${c.title} (\`${c.id}\`)`,
      '',
      '<!-- Generated from templates/components/' + c.id + '/component.yaml by `npm run docs`; do not edit by hand. -->',
      '',
      c.summary,
      '',
      '| | |',
      '| --- | --- |',
      `| replaces | ${c.replaces.join('; ') || '-'} |`,
      `| selectable | ${c.selectable ? `yes: \`--components ${c.id}\`` : 'no: added when needed'} |`,
      `| engines | ${c.engines.join(', ')} |`,
      `| namespace | \`${c.namespace}\`${c.config && c.config.namespace !== c.namespace ? `; its manifests in \`${c.config.namespace}\`` : ''} |`,
      `| Pod Security | \`${c.podSecurity}\`${c.podSecurityReason ? `: ${c.podSecurityReason}` : ''} |`,
      `| Haven checks | ${c.havenChecks.join(', ') || '-'} |`,
      ...(c.buckets.length ? [`| buckets | ${c.buckets.map((b) => `\`<name>-<cluster>-${b}\``).join(', ')} |`] : []),
      ...(c.runsFirst ? ['| ordering | runs first: every other component on the cluster waits for it |'] : []),
      ...(c.backends ? [`| backends | ${Object.entries(c.backends).map(([k, v]) => (v ? `\`${k}\`: [${v}](${v}.md)` : `\`${k}\`: the provider's service`)).join(', ')} |`] : []),
      '',
      ...(releases.length ? ['## Pinned versions', '', '| release | source | version | images |', '| --- | --- | --- | --- |', ...releases, ''] : []),
      '## What you provide',
      '',
      ...(c.provide.length || secrets.length ? [...c.provide.map((p) => `- ${p.when ? `With ${Object.entries(p.when).map(([k, v]) => `--${k} ${v}`).join(' and ')}: ` : ''}${p.text}`), ...secrets] : ['Nothing: it runs from git alone.']),
      '',
      ...(requires.length ? ['## Needs', '', ...requires, ''] : []),
      ...(used.length ? ['## Used by', '', ...used.map((u) => `- ${u}`), ''] : []),
      ...(facts.length
        ? ['## Chart facts', '', 'What each pinned release renders, read from its upstream templates at the pinned ref (the data validation and the generator use: [chart facts](../chart-facts.md)).', '', ...facts]
        : []),
    ].join('\n');
    pages.set(c.id, page);
  }
  return pages;
}

export function componentsDoc(): string {
  const { components, presets } = loadCatalog();
  const rows = [...components.values()].map((c) => {
    const versions = (c.controller?.releases ?? []).map((r) => `\`${r.version}\``).join(', ') || '-';
    return `| [${c.id}](components/${c.id}.md) | ${c.title} | ${c.category} | ${c.selectable ? 'yes' : 'no'} | ${versions} | \`${c.namespace}\` | ${c.replaces.join('; ') || '-'} |`;
  });
  const presetRows = [...presets.values()].map((p) => `| \`${p.id}\` | ${p.summary} | ${p.components.map((id) => `[${id}](components/${id}.md)`).join(', ')} |`);
  return `# Components

<!-- Generated from templates/components/*/component.yaml and templates/presets/*.yaml by \`npm run docs\`; do not edit by hand. -->

Each component is a folder under \`templates/components/\`: \`component.yaml\` (what it is, what it
replaces, its pinned charts and dependencies) and the Handlebars templates of its manifests.
Dependencies are added automatically and the generator says why. Each has its own page.

| component | title | category | selectable | versions | namespace | replaces |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## Presets

\`--preset\` sets the default of \`--components\` (presets are data: \`templates/presets/*.yaml\`).

| preset | what | components |
| --- | --- | --- |
${presetRows.join('\n')}
`;
}
