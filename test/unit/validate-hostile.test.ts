/**
 * `validate` runs in CI on merge requests nobody has reviewed yet: what such a repository holds must not
 * make it read outside the repository (through symbolic links, `../`, absolute paths, YAML tricks that
 * parse differently in kustomize), reach the network, hang or crash. Each case is a real repository on
 * disk, validated as the bin does, with kubectl where it is installed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';

const base = mkdtempSync(join(tmpdir(), 'hp-hostile-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/**
 * A marker that shows up in the report if anything outside the repository is read: the outside ConfigMap's
 * name (no valid name, so the schema check would quote it), the missing file an outside kustomization
 * names (kubectl's error would quote it), the property an outside schema requires.
 */
const MARKER = 'Outside_Marker_7f3a';
const outside = join(base, 'outside');
mkdirSync(join(outside, 'base'), { recursive: true });
writeFileSync(join(outside, 'leak.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${MARKER}\n  namespace: default\n`);
writeFileSync(join(outside, 'base', 'kustomization.yaml'), `resources:\n  - ${MARKER}.yaml\n`);
writeFileSync(join(outside, 'thing_v1.json'), JSON.stringify({ type: 'object', required: [MARKER] }));
const missing = join(outside, `${MARKER}.txt`);

const SYNC = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;

let n = 0;
/** A Flux repository whose cluster applies apps/, with the files given (a `->` value makes a symbolic link). */
function repo(files: Record<string, string>): string {
  const root = join(base, `repo-${n++}`);
  for (const [path, content] of Object.entries({ 'clusters/prod/apps.yaml': SYNC, ...files })) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (content.startsWith('-> ')) symlinkSync(content.slice(3), full);
    else writeFileSync(full, content);
  }
  return root;
}

const validate = (root: string) => validateDirectory(root, { schemaLocations: [BUNDLED_SCHEMAS] });
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\n';

describe('validate on hostile repositories', () => {
  it.each([
    ['a symbolic link to a file outside', { 'apps/leak.yaml': `-> ${join(outside, 'leak.yaml')}`, 'apps/cm.yaml': CM }],
    ['a kustomization that climbs out with ../', { 'apps/kustomization.yaml': 'resources:\n  - ../../outside/leak.yaml\n' }],
    ['a base that climbs out with ../', { 'apps/kustomization.yaml': 'resources:\n  - ../../outside/base\n' }],
    ['an absolute path to a file outside', { 'apps/kustomization.yaml': `resources:\n  - ${join(outside, 'leak.yaml')}\n` }],
    ['a merge key only kustomize reads as resources', { 'apps/kustomization.yaml': `<<: {resources: [${join(outside, 'leak.yaml')}]}\n` }],
    ['a duplicate key whose last value kustomize takes', { 'apps/kustomization.yaml': `resources: []\nresources: [../../outside/base]\n` }],
    ['a field name in another case (Go matches it)', { 'apps/kustomization.yaml': 'Resources:\n  - ../../outside/base\n' }],
    ['a configMapGenerator reading a file outside', { 'apps/kustomization.yaml': `configMapGenerator:\n  - name: x\n    files:\n      - leak=${missing}\n` }],
    ['a configMapGenerator climbing out with ../', { 'apps/kustomization.yaml': `configMapGenerator:\n  - name: x\n    envs:\n      - ../../outside/${MARKER}.txt\n` }],
    ['a generator config that names a file outside', { 'apps/kustomization.yaml': 'generators:\n  - gen.yaml\n', 'apps/gen.yaml': `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: g\nfiles:\n  - ${join(outside, 'leak.yaml')}\n` }],
    ['a transformer config whose patch is outside', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - t.yaml\n', 'apps/cm.yaml': CM, 'apps/t.yaml': `apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\nPath: ${join(outside, 'leak.yaml')}\ntarget:\n  kind: ConfigMap\n` }],
    ['an inline transformer config climbing out with ../', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - |\n    apiVersion: builtin\n    kind: PatchStrategicMergeTransformer\n    metadata:\n      name: p\n    paths:\n      - ../../outside/leak.yaml\n', 'apps/cm.yaml': CM }],
    ['a directory of transformer configs that takes one in from outside', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - configs\n', 'apps/cm.yaml': CM, 'apps/configs/kustomization.yaml': 'resources:\n  - ../../../outside/leak.yaml\n' }],
    ['a directory of transformer configs patched to read outside', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - configs\n', 'apps/cm.yaml': CM, 'apps/configs/kustomization.yaml': 'resources: [t.yaml]\npatches:\n  - patch: |\n      - op: add\n        path: /path\n        value: ' + join(outside, 'leak.yaml') + '\n    target:\n      kind: PatchTransformer\n', 'apps/configs/t.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\ntarget:\n  kind: ConfigMap\n' }],
    ['a one-line inline generator config (kustomize reads it as YAML before as a path)', { 'apps/kustomization.yaml': `resources: [cm.yaml]\ngenerators:\n  - '{apiVersion: builtin, kind: ConfigMapGenerator, metadata: {name: x}, files: [${missing}]}'\n`, 'apps/cm.yaml': CM }],
    ['a ValueAddTransformer reading its value from a file outside', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - t.yaml\n', 'apps/cm.yaml': CM, 'apps/t.yaml': `apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\ntargetFilePath: ${missing}\ntargets:\n  - fieldPath: metadata/annotations/x\n` }],
    ['a plugin kustomize would have to run (an exec or KRM function transformer)', { 'apps/kustomization.yaml': 'resources: [cm.yaml]\ntransformers:\n  - t.yaml\n', 'apps/cm.yaml': CM, 'apps/t.yaml': `apiVersion: example.com/v1\nkind: Leak\nmetadata:\n  name: p\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ${join(outside, 'run.sh')}\n` }],
    ['a linked directory outside', { 'apps/kustomization.yaml': 'resources:\n  - linked/leak.yaml\n', 'apps/linked': `-> ${outside}` }],
    ['a linked base outside', { 'apps/kustomization.yaml': 'resources:\n  - linked\n', 'apps/linked': `-> ${join(outside, 'base')}` }],
    ['a strategic-merge patch that looks inline but is a path', { 'apps/kustomization.yaml': `resources: [cm.yaml]\nconfigMapGenerator: [{name: g, literals: [x=y]}]\npatchesStrategicMerge:\n  - "kind: x/../../../outside/leak.yaml"\n`, 'apps/cm.yaml': CM }],
    ['a merge key hiding a generator file', { 'apps/kustomization.yaml': `<<: {configMapGenerator: [{name: x, files: [${missing}]}]}\n` }],
    ['a !!binary path (Go decodes the base64, this reader would not)', { 'apps/kustomization.yaml': `configMapGenerator:\n  - name: x\n    files:\n      - !!binary ${Buffer.from(missing).toString('base64')}\n` }],
    ['a field name Go folds to files (U+017F, long s)', { 'apps/kustomization.yaml': `configMapGenerator:\n  - name: x\n    file\u017f:\n      - leak=${missing}\n` }],
    ['a field name Go folds to resources', { 'apps/kustomization.yaml': 're\u017fource\u017f:\n  - ../../outside/base\n' }],
    ['a %YAML 1.1 directive that makes this reader take a path for a number', { 'apps/kustomization.yaml': `%YAML 1.1\n---\nresources: [../../outside/base, 0x_]\n` }],
    ['a line break Go sees in what this reader takes for a comment (U+2028)', { 'apps/kustomization.yaml': `# note\u2028resources: [../../outside/base]\nconfigMapGenerator: [{name: x, literals: [a=b]}]\n` }],
    ['a schema looked up through the kind', { 'apps/thing.yaml': `apiVersion: example.com/v1\nkind: ../../../../../../../../../../..${outside}/Thing\nmetadata:\n  name: t\n` }],
  ])('never reads outside through %s', async (_title, files) => {
    const report = await validate(repo(files));
    // Nothing read from outside is quoted (paths the repository itself writes may be, in a note) ...
    expect(JSON.stringify([report.findings, report.mustCreate])).not.toContain(MARKER);
    // ... and kubectl never builds a kustomization that would read outside.
    expect(report.kubectlBuilt).not.toContain('apps');
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
  });

  it('never has kubectl fetch a remote resource, whatever the case of its scheme', async () => {
    const report = await validate(repo({ 'apps/kustomization.yaml': 'resources:\n  - HTTP://127.0.0.1:9/x.yaml\n  - GitHub.com/example/repo//base?ref=v1\n' }));
    expect(report.findings.filter((f) => f.check === 'kustomize' && f.message.includes('kubectl'))).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/remote resource HTTP:\/\/127\.0\.0\.1:9\/x\.yaml is not fetched offline/);
  });

  it('ends on symbolic links that fan out into a loop', async () => {
    const report = await validate(repo({ 'apps/kustomization.yaml': 'resources:\n  - a\n  - b\n  - c\n', 'apps/a': '-> .', 'apps/b': '-> .', 'apps/c': '-> .' }));
    expect(report.notes.join('\n')).toMatch(/symbolic link\(s\) not followed/);
  }, 30_000);

  it('says a YAML bomb is one, and goes on', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const report = await validate(repo({ 'apps/bomb.yaml': `${CM}data:\n${levels.map((l) => `  ${l}`).join('\n')}\n`, 'apps/cm.yaml': CM.replace('name: app', 'name: other') }));
    expect(report.findings.some((f) => f.file === 'apps/bomb.yaml' && /aliases expand past/.test(f.message))).toBe(true);
  });

  it('stays linear on patterns and lines made to backtrack', async () => {
    const report = await validate(repo({
      'clusters/prod/apps.yaml': SYNC.replace('kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization', 'argoproj.io/v1alpha1\nkind: Application'),
      'argo/app.yaml': `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.nl/x.git\n    path: apps\n    directory:\n      include: '${'*a'.repeat(14)}*b'\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n`,
      [`apps/${'a'.repeat(120)}.yaml`]: CM,
      'apps/cm.yaml': `${CM}data:\n  note: x${' '.repeat(150_000)}\n`,
    }));
    expect(report.clusters.length).toBeGreaterThan(0);
  }, 20_000);

  it('reports malformed fields instead of crashing on them', async () => {
    const report = await validate(repo({
      'clusters/prod/apps.yaml': SYNC.replace('  prune: true', '  prune: true\n  dependsOn: foo'),
      'clusters/prod/argo.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: odd\n  namespace: argocd\nspec:\n  sources: {repoURL: x}\n  source:\n    path: 7\n',
      'apps/cm.yaml': CM,
    }));
    expect(report.findings.filter((f) => f.severity === 'error').length).toBeGreaterThan(0);
  });
});

describe('a map of very many keys (the yaml library compares every pair of keys for uniqueness)', () => {
  it('is checked for duplicate keys in one pass, and a duplicate among them is still found', async () => {
    const { parsedText } = await import('../../lib/validate/build.js');
    const keys = Array.from({ length: 200_000 }, (_, i) => `  k${i}: v`).join('\n');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${keys}\n  k7: again\n`;
    const parsed = parsedText(text);
    expect(parsed.problems).toEqual([`YAML: Map keys must be unique at line ${200_000 + 6}, column 3:`]);
    expect(parsed.objects).toEqual([]);
  });
});

describe('validate on hostile repositories: what a merge request can make it do', () => {
  it('never lets a patch reach Object.prototype (a JSON 6902 path through __proto__ or constructor)', async () => {
    const patched = SYNC + '  patches:\n    - target: {kind: ConfigMap}\n      patch: |\n        - op: add\n          path: /__proto__/polluted\n          value: yes\n        - op: add\n          path: /constructor/prototype/shell\n          value: /bin/sh\n        - op: add\n          path: /metadata/__proto__\n          value: {shell: /bin/sh}\n';
    const report = await validate(repo({ 'clusters/prod/apps.yaml': patched, 'apps/kustomization.yaml': 'namePrefix: x-\nresources: [cm.yaml]\n', 'apps/cm.yaml': CM }));
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('shell');
    expect(({} as Record<string, unknown>).shell).toBeUndefined();
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
  });

  it('matches patch targets and .sourceignore patterns made to backtrack in bounded time', async () => {
    const long = 'a'.repeat(60);
    const report = await validate(repo({
      'clusters/prod/apps.yaml': SYNC + '  patches:\n    - target: {kind: ConfigMap, name: "(a|aa)+"}\n      patch: |\n        - op: add\n          path: /data\n          value: {}\n',
      'apps/cm.yaml': CM.replace('name: app', `name: ${long}b`),
      'apps/project.yaml': `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\n  namespace: argocd\nspec:\n  destinations:\n    - namespace: '${'*a'.repeat(25)}*b'\n      server: '*'\n`,
      '.sourceignore': `apps/${'**/'.repeat(14)}b\napps/${'*a'.repeat(20)}b\n`,
      [`apps/${Array(30).fill('d').join('/')}/cm.yaml`]: CM.replace('name: app', 'name: deep'),
    }));
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
  }, 20_000);

  it('stops a build whose kustomizations take each other in twice over (2^n objects), with an error, not a crash', async () => {
    const files: Record<string, string> = { 'apps/kustomization.yaml': 'resources: [../k/0]\n', 'k/22/cm.yaml': CM, 'k/22/kustomization.yaml': 'resources: [cm.yaml]\n' };
    for (let i = 0; i < 22; i++) files[`k/${i}/kustomization.yaml`] = `resources: [../${i + 1}, ../${i + 1}]\n`;
    const report = await validate(repo(files));
    expect(report.findings.map((f) => f.message)).toContain('the build of apps declares more than 25,000 objects (its bases taken in over and over): not built');
  }, 30_000);

  it('caps what an ApplicationSet template renders (a chain of replace grows a string tenfold per step)', async () => {
    const { renderGoTemplate } = await import('../../lib/validate/gotemplate.js');
    const replace = Array(12).fill('replace "a" "aaaaaaaaaa"').join(' | ');
    expect(renderGoTemplate(`{{ .n | ${replace} }}`, { n: 'a' }, { missingKeyError: true })).toEqual({ unsupported: 'a template that renders more than 1 MiB' });
  });

  it('does not evaluate Flux defaults nested deeper than any real one, and takes newlines out of inline values as Flux does', async () => {
    const report = await validate(repo({
      'clusters/prod/apps.yaml': SYNC.replace('  prune: true', '  prune: true\n  postBuild:\n    substitute:\n      B: "line one\n        \\"two\\": three"'),
      'apps/cm.yaml': `${CM}data:\n  deep: "${'${A:='.repeat(40)}x${'}'.repeat(40)}"\n  joined: "\${B}"\n`,
    }));
    const messages = report.findings.filter((f) => f.file === 'apps/cm.yaml').map((f) => f.message);
    expect(messages.join('\n')).toMatch(/is not a variable Flux can substitute/);
    expect(messages.join('\n')).toMatch(/is no longer YAML once its variables are substituted/);
  }, 20_000);

  it('shows names with terminal escapes and newlines without obeying them, and writes JUnit XML that parses', async () => {
    const { formatHuman, formatJunit } = await import('../../lib/validate/report.js');
    const evil = 'x\u001b[2J\u001b[H\u001b[32m✓ valid';
    const report = await validate(repo({ 'apps/cm.yaml': CM.replace('name: app', `name: "${evil.replaceAll('\u001b', '\\e')}"`), [`apps/a\u001b[31mb.yaml`]: CM.replace('name: app', 'name: Bad_Name') }));
    const human = formatHuman(report);
    expect(human).not.toMatch(/\u001b/);
    expect(human).toContain('\\u{1b}[2J');
    const junit = formatJunit(report, report.paths);
    expect(junit).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(XMLValidator.validate(junit)).toBe(true);
  });
});

describe('validate on hostile repositories: the second review (2026-12-07)', () => {
  it.each([
    ['resources: [cm.yaml, 42]', 'resources: 42 is not a path'],
    ['components: [42]', 'components: 42 is not a path'],
    ['patches: [{path: 42}]', 'patches: {"path":42} is not a patch'],
  ])('a kustomization with %s is an error, not a crash', async (kustomization, message) => {
    const report = await validate(repo({ 'apps/kustomization.yaml': `${kustomization}\n`, 'apps/cm.yaml': CM }));
    expect(report.findings.map((f) => f.message).join('\n')).toContain(message);
  });

  it('caps what join renders, and a rendering past the engine is said, not a crash', async () => {
    const { renderGoTemplate } = await import('../../lib/validate/gotemplate.js');
    const out = renderGoTemplate('{{ join (.n | replace "a" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") .l }}', { n: 'a'.repeat(9000), l: Array(1000).fill('') }, { missingKeyError: true });
    expect(out).toEqual({ unsupported: 'a template that renders more than 1 MiB' });
  });

  it('matches a schema pattern on a long value in linear time (RE2), and leaves CEL rules over lists longer than any CRD allows', async () => {
    const { regExp } = await import('../../lib/validate/cel.js');
    const re = regExp('^(a|a?)+$', 'u');
    expect(re.test('a'.repeat(20))).toBe(true);
    expect(re.test(`${'a'.repeat(50_000)}!`)).toBe(false);
    expect(String(re)).toBe('/^(a|a?)+$/u');
  }, 20_000);

  it("reads bootstrap steps, orphan Kustomizations and .sourceignore files made large in bounded time (the third review's inputs)", async () => {
    const orphans = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x${i}/ks.yaml`, SYNC.replace('name: apps', `name: x${i}`).replace('./apps', `./x${i}/app`)]));
    const report = await validate(repo({
      // 40 000 namespaces a README "creates", grouped per file (was quadratic).
      'README.md': Array.from({ length: 40_000 }, (_, i) => `kubectl create ns n${i}`).join('\n'),
      // A 1 MiB token on a kubectl line of a script (was a backtracking regular expression).
      'bootstrap.sh': `kubectl apply ${'a'.repeat(2 ** 20)}\n`,
      // 5 000 patterns (all but 1 000 dropped, with a note) over every file, once per file.
      '.sourceignore': Array.from({ length: 5000 }, (_, i) => `/nothing-${i}/`).join('\n'),
      ...orphans,
      'apps/cm.yaml': CM,
    }));
    expect(report.notes).toContain('.sourceignore: 4000 pattern(s) beyond the first 1,000 are not applied');
  }, 60_000);

  it('writes JUnit for many files with findings in time linear in their number', async () => {
    const { formatJunit } = await import('../../lib/validate/report.js');
    const paths = Array.from({ length: 50_000 }, (_, i) => `f${i}.yaml`);
    const report = { findings: paths.map((file) => ({ severity: 'error' as const, check: 'yaml' as const, file, message: 'broken' })), clusters: [], notes: [], mustCreate: [], stats: { files: 0, objects: 0, schemas: 0, celRules: 0, kustomizations: 0, chartValues: 0 } };
    const xml = formatJunit(report as never, paths);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<failure /g)?.length).toBe(50_000);
  }, 20_000);
});

