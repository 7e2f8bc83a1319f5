/**
 * ApplicationSet generators offline: the Go template subset Argo CD templates use (gotemplate.ts), Go's
 * path.Match for the git directory generator, git pathspecs for the git files generator, and the list,
 * git, matrix and merge generators expanded into what a cluster applies (with fasttemplate for sets
 * without goTemplate).
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { gitPathspecMatch, goPathMatch } from '../../lib/validate/globs.js';
import { buildKustomization } from '../../lib/validate/build.js';
import { goNumber, renderGoTemplate, sanitizeName } from '../../lib/validate/gotemplate.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { discoverClusters } from '../../lib/validate/topology.js';
import { tempDir } from '../helpers.js';

const params = { name: 'edge-1', path: { path: 'apps/web', basename: 'web', segments: ['apps', 'web'] }, metadata: { labels: { tier: 'edge' } }, n: 3 };

describe('Go templates as ApplicationSets use them', () => {
  it.each([
    ['{{.name}}', 'edge-1'],
    ['{{ .path.basename }}-app', 'web-app'],
    ['{{index .path.segments 1}}', 'web'],
    ['{{index .metadata.labels "tier"}}', 'edge'],
    ['{{.name | upper}}', 'EDGE-1'],
    ['{{ .path.path | replace "/" "-" }}', 'apps-web'],
    ['{{ printf "%s.%s" .name .path.basename }}', 'edge-1.web'],
    ['{{ default "dev" (index .metadata.labels "env") }}', 'dev'],
    ['{{ .path.basename | trunc 2 }}', 'we'],
    ['{{ "Edge_1!" | normalize }}', 'edge-1'],
    ['a {{- .name -}} b', 'aedge-1b'],
    ['{{/* a comment */}}x', 'x'],
    ['{{.n}}', '3'],
    ['{{.missing}}', '<no value>'],
    // sprig's dig and ternary, text/template's eq, ne, not, and, or (cterence/homelab-gitops' ApplicationSet).
    ['{{ default .name (dig "namespace" "" .) }}', 'edge-1'],
    ['{{ dig "metadata" "labels" "tier" "none" . }}', 'edge'],
    ['{{ dig "metadata" "labels" "zone" "none" . }}', 'none'],
    ['{{ printf "%s=%s" "ServerSideApply" (dig "serverSideApply" "false" . | toString) }}', 'ServerSideApply=false'],
    ['{{ ternary ".spec.replicas" ".nonexistent" (eq (dig "scaleToZero" "false" . | toString) "true") }}', '.nonexistent'],
    ['{{ eq .name "edge-1" }}', 'true'],
    ['{{ ne .name "edge-1" }}', 'false'],
    ['{{ not (eq .name "x") }}', 'true'],
    ['{{ or .missing "fallback" }}', 'fallback'],
    ['{{ and .name "both" }}', 'both'],
    ['{{ hasPrefix "edge" .name }}', 'true'],
    // if / else if / else / end (mrpbennett/home-ops' retention), with Go's truth: empty is false.
    ['{{ if .name }}{{ .name }}{{ else }}10d{{ end }}', 'edge-1'],
    ['{{ if .missing }}{{ .missing }}{{ else }}10d{{ end }}', '10d'],
    ['{{ if eq .name "x" }}a{{ else if eq .name "edge-1" }}b{{ else }}c{{ end }}', 'b'],
    ['{{if .name}}[{{if .missing}}no{{else}}yes{{end}}]{{end}}', '[yes]'],
    ['{{- if not .name }} x {{- end }}y', 'y'],
  ])('%s → %s', (template, expected) => {
    // An index a `default` covers is no problem (`"env"` is missing, and defaulted).
    expect(renderGoTemplate(template, params, { missingKeyError: false })).toEqual({ value: expected, emptyIndex: [] });
  });

  it('a missing key is an error with missingkey=error, as Go says it; index gives an empty string either way', () => {
    expect(renderGoTemplate('{{.cluster}}', params, { missingKeyError: true })).toEqual({ missing: '.cluster: map has no entry for key "cluster"' });
    expect(renderGoTemplate('x{{index .metadata.labels "region"}}', params, { missingKeyError: true })).toEqual({ value: 'x', emptyIndex: ['region'] });
  });

  it('a variable no action declares is a template Go refuses (mrpbennett/home-ops: a Prometheus rule\'s {{ $labels.namespace }} in valuesObject)', () => {
    expect(renderGoTemplate('{{ $labels.namespace }} is down', params, { missingKeyError: false })).toEqual({ invalid: 'undefined variable "$labels" (Go\'s template parser refuses it, so Argo CD fails the ApplicationSet)' });
    // Declared in the same string, or `$` (the root), or inside a string literal: no problem of that kind.
    expect(renderGoTemplate('{{ $ }}', params, { missingKeyError: false })).not.toHaveProperty('invalid');
    expect(renderGoTemplate('{{ "$labels" }}', params, { missingKeyError: false })).toEqual({ value: '$labels', emptyIndex: [] });
    expect(renderGoTemplate('{{ $n := .name }}{{ $n }}', params, { missingKeyError: false })).toEqual({ unsupported: 'template variables' });
  });

  it.each([
    ['{{if .name}}x', '{{if}} without {{end}}'],
    ['x{{end}}', '{{end}} without {{if}}'],
    ['{{with .name}}x{{end}}', '{{with}}'],
    ['{{range .path.segments}}{{.}}{{end}}', '{{range}}'],
    ['{{$x := .name}}{{$x}}', 'template variables'],
    ['{{ .name | sha256sum }}', 'the function sha256sum'],
    ['{{ constructor }}', 'the function constructor'],
    ['{{ .metadata }}', 'printing a map or a list'],
    ['{{ .name ', 'an action without "}}"'],
    ['{{ printf "%02d" .n }}', 'a printf verb other than %s, %v, %d, %q'],
    ['{{ eq .n "3" }}', 'comparing a number with a string'],
    ['{{ eq .metadata "x" }}', 'comparing maps or lists'],
  ])('%s is not guessed: unsupported (%s)', (template, what) => {
    expect(renderGoTemplate(template, params, { missingKeyError: false })).toEqual({ unsupported: what });
  });

  it('normalize is Argo CD SanitizeName', () => {
    expect(sanitizeName('-My_App.Name-')).toBe('my-app.name');
  });
});

describe("Go's path.Match (the git directory generator)", () => {
  it.each([
    ['apps/*', 'apps/web', true],
    ['apps/*', 'apps/web/deep', false],
    ['apps/*', 'apps', false],
    ['*', 'apps', true],
    ['apps/w?b', 'apps/web', true],
    ['apps/[a-c]*', 'apps/blue', true],
    ['apps/[^a-c]*', 'apps/blue', false],
    ['apps/\\*', 'apps/*', true],
    ['apps/\\*', 'apps/x', false],
    ['*/*/*', 'a/b/c', true],
    ['a*b*c*d*e*f', `a${'x'.repeat(5000)}`, false],
  ])('%s ~ %s → %s', (pattern, name, expected) => expect(goPathMatch(pattern, name)).toBe(expected));
});

describe('git pathspecs (`git ls-files -- <path>`, the git files generator by default)', () => {
  it.each([
    ['apps/web/config.json', 'apps/web/config.json', true],
    ['apps', 'apps/web/config.json', true],
    ['apps/', 'apps/web/config.json', true],
    ['./apps/*/config.json', 'apps/web/config.json', true],
    ['apps/*.json', 'apps/web/config.json', true],
    ['apps/*/config.json', 'apps/a/b/config.json', true],
    ['apps/**/config.json', 'apps/web/config.json', true],
    ['apps/[!w]*/config.json', 'apps/web/config.json', false],
    ['apps/[^w]*/config.json', 'apps/api/config.json', true],
    ['apps/web', 'apps/webshop/config.json', false],
    ['app?/x.json', 'apps/x.json', true],
    [`${'*a'.repeat(40)}b`, 'a'.repeat(3000), false],
  ])('%s ~ %s → %s', (pattern, path, expected) => expect(gitPathspecMatch(pattern, path)).toBe(expected));
});

describe("numbers as Go's %v prints the float64 a JSON or YAML file gives", () => {
  it.each([
    [3, '3'],
    [1.5, '1.5'],
    [100000, '100000'],
    [1000000, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
  ])('%s → %s', (n, printed) => expect(goNumber(n)).toBe(printed));
});

const REPO = 'https://git.example.nl/platform/apps.git';
const files = (entries: Record<string, string>) => {
  const set = new FileSet();
  for (const [p, t] of Object.entries(entries)) set.add(p, t);
  return set;
};
const discover = (f: FileSet) => discoverClusters(f, (dir) => buildKustomization(f, dir));
const root = `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${REPO}\n    path: argocd\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n`;
const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n`;
const appset = (generators: string, template: string, go = true) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\n  namespace: argocd\nspec:\n${go ? '  goTemplate: true\n  goTemplateOptions: ["missingkey=error"]\n' : ''}  generators:\n${generators}  template:\n${template}`;
const template = (name: string, path: string, destination = '        server: https://kubernetes.default.svc\n') =>
  `    metadata:\n      name: '${name}'\n    spec:\n      project: default\n      source:\n        repoURL: ${REPO}\n        path: '${path}'\n      destination:\n${destination}        namespace: default\n`;

describe('list and git directory generators, expanded into what the cluster applies', () => {
  it('a git directory generator over this repository, with an exclusion: one Application per directory (Go templates)', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        directories:\n          - path: apps/*\n          - path: apps/legacy\n            exclude: true\n`, template('{{.path.basename}}', '{{.path.path}}')),
      'apps/web/cm.yaml': CM('web'),
      'apps/api/cm.yaml': CM('api'),
      'apps/legacy/cm.yaml': CM('legacy'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['argocd']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['api', 'root', 'web']);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
    expect(t.applied.has('apps/legacy/cm.yaml')).toBe(false);
    expect(t.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('fasttemplate ({{path.basename}}, {{path[1]}}) as Argo CD replaces it', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        directories:\n          - path: apps/*\n`, template('{{path.basename}}', 'apps/{{path[1]}}'), false),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['root', 'web']);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
  });

  it('a list generator: elements in-cluster are walked with the cluster, others become the clusters they name', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(
        '    - list:\n        elements:\n          - app: web\n            cluster: in-cluster\n          - app: api\n            cluster: edge-1\n',
        template('{{.app}}-{{.cluster}}', 'apps/{{.app}}', '        name: \'{{.cluster}}\'\n'),
      ),
      'apps/web/cm.yaml': CM('web'),
      'apps/api/cm.yaml': CM('api'),
    }));
    expect(t.clusters.map((c) => `${c.name}${c.spoke ? ' (spoke)' : ''}`).sort()).toEqual(['argocd', 'edge-1 (spoke)']);
    expect([...t.clusters.find((c) => c.name === 'argocd')!.units.keys()].sort()).toEqual(['root', 'web-in-cluster']);
    expect([...t.clusters.find((c) => c.name === 'edge-1')!.units.keys()]).toEqual(['api-edge-1']);
  });

  it('a path the template names that does not exist is an error for that element; what it cannot render is said, not guessed', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset('    - list:\n        elements:\n          - app: gone\n', template('{{.app}}', 'apps/{{.app}}')),
      'argocd/other.yaml': appset('    - list:\n        elements:\n          - app: web\n', template('{{.app}}', '{{ .app | sha256sum }}')).replace('name: apps\n', 'name: other\n'),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(t.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([
      'argocd/apps.yaml: ApplicationSet argocd/apps for element 1: source path apps/gone does not exist',
    ]);
    expect(t.notes).toContain("argocd/other.yaml: ApplicationSet other's template uses the function sha256sum, which the validator does not render: those Applications are not checked");
  });

  it('a git generator of another repository, and the generators not expanded, are said', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset('    - git:\n        repoURL: https://git.example.nl/other.git\n        revision: HEAD\n        directories:\n          - path: "*"\n    - scmProvider:\n        gitlab:\n          group: platform\n', template('{{.path.basename}}', '{{.path.path}}')),
    }));
    expect(t.notes).toContain("argocd/apps.yaml: ApplicationSet apps's git generator reads https://git.example.nl/other.git, which is not this repository: not expanded offline");
    expect(t.findings.map((f) => `${f.severity} ${f.message}`)).toContain('warning generator scmProvider is not expanded offline (the cluster, list, git, matrix and merge generators are): its Applications are not checked');
  });
});

describe('git files, matrix and merge generators (applicationset/generators/{git,matrix,merge}.go)', () => {
  const units = (t: ReturnType<typeof discover>) => Object.fromEntries(t.clusters.map((c) => [c.name, [...c.units.keys()].sort()]));
  const errors = (t: ReturnType<typeof discover>) => t.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);

  it('git files: one parameter set per object of each file the pathspec lists, flattened for fasttemplate as Argo CD flattens it', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        files:\n          - path: config/*.json\n          - path: config/legacy/*\n            exclude: true\n`, template('{{app.name}}-{{path.basename}}-{{replicas}}', 'apps/{{app.name}}'), false),
      'config/web/config.json': '{"app": {"name": "web"}, "replicas": 1000000}\n',
      'config/many/config.yaml': '- app: {name: api}\n  replicas: 2\n- app: {name: worker}\n  replicas: 1\n',
      'config/legacy/config.json': '{"app": {"name": "old"}}\n',
      'apps/web/cm.yaml': CM('web'),
      'apps/api/cm.yaml': CM('api'),
      'apps/worker/cm.yaml': CM('worker'),
    }));
    // `*` crosses `/` in a git pathspec, so config/*.json lists config/web/config.json; .yaml files are not listed.
    expect(units(t)).toEqual({ argocd: ['root', 'web-web-1e+06'] });
    expect(errors(t)).toEqual([]);
  });

  it('git files with Go templates: the objects as they are, with path.filename and path.segments', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        files:\n          - path: "config/**/app.yaml"\n`, template('{{.app.name}}-{{index .path.segments 1}}-{{.path.filename | trimSuffix ".yaml"}}', 'apps/{{.app.name}}')),
      'config/prod/app.yaml': 'app:\n  name: web\n',
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(units(t)).toEqual({ argocd: ['root', 'web-prod-app'] });
  });

  it('matrix: the second generator rendered with each set of the first, every pair an Application on its cluster', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(
        `    - matrix:\n        generators:\n          - list:\n              elements:\n                - cluster: in-cluster\n                  env: prod\n                - cluster: edge-1\n                  env: edge\n          - git:\n              repoURL: ${REPO}\n              revision: HEAD\n              files:\n                - path: "envs/{{.env}}/*.yaml"\n`,
        template('{{.app}}-{{.cluster}}', 'apps/{{.app}}', "        name: '{{.cluster}}'\n"),
      ),
      'envs/prod/web.yaml': 'app: web\n',
      'envs/edge/api.yaml': 'app: api\n',
      'envs/edge/web.yaml': 'app: web\n',
      'apps/web/cm.yaml': CM('web'),
      'apps/api/cm.yaml': CM('api'),
    }));
    expect(units(t)).toEqual({ argocd: ['root', 'web-in-cluster'], 'edge-1': ['api-edge-1', 'web-edge-1'] });
    expect(errors(t)).toEqual([]);
  });

  it('matrix of a git directory generator and clusters: a missing path is an error for that pair', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(
        `    - matrix:\n        generators:\n          - git:\n              repoURL: ${REPO}\n              revision: HEAD\n              directories:\n                - path: apps/*\n          - list:\n              elements:\n                - overlay: prod\n`,
        template('{{.path.basename}}-{{.overlay}}', '{{.path.path}}/{{.overlay}}'),
      ),
      'apps/web/prod/cm.yaml': CM('web'),
      'apps/api/base/cm.yaml': CM('api'),
    }));
    expect(units(t).argocd).toEqual(['api-prod', 'root', 'web-prod']);
    expect(errors(t)).toEqual(['argocd/apps.yaml: ApplicationSet argocd/apps for directory apps/api, element 1: source path apps/api/prod does not exist']);
  });

  it('merge: the first generator\'s sets, overridden by the others\' sets with the same merge keys', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(
        '    - merge:\n        mergeKeys: [app]\n        generators:\n          - list:\n              elements:\n                - {app: web, size: small}\n                - {app: api, size: small}\n          - list:\n              elements:\n                - {app: api, size: large}\n                - {app: other, size: huge}\n',
        template('{{.app}}-{{.size}}', 'apps/{{.app}}'),
      ),
      'apps/web/cm.yaml': CM('web'),
      'apps/api/cm.yaml': CM('api'),
    }));
    expect(units(t)).toEqual({ argocd: ['api-large', 'root', 'web-small'] });
  });

  it('matrix without missingkey=error: a missing key in the second generator renders <no value>, as Go does (no error)', () => {
    const set = appset(`    - matrix:\n        generators:\n          - list: {elements: [{app: web}]}\n          - git:\n              repoURL: ${REPO}\n              revision: HEAD\n              files: [{path: "envs/{{.env}}/*.yaml"}]\n`, template('{{.app}}', 'apps/{{.app}}')).replace('  goTemplateOptions: ["missingkey=error"]\n', '');
    const t = discover(files({ 'argocd/root.yaml': root, 'argocd/apps.yaml': set, 'apps/web/cm.yaml': CM('web') }));
    expect(errors(t)).toEqual([]);
  });

  it('git files: only the first YAML document of a file is read (sigs.k8s.io/yaml), and numbers print as Go prints them', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        files: [{path: "config/*.yaml"}]\n`, template('{{.app}}-{{.size}}', 'apps/{{.app}}')),
      'config/web.yaml': 'app: web\nsize: 1000000\n---\napp: other\n',
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(units(t)).toEqual({ argocd: ['root', 'web-1e+06'] });
  });

  it.each([
    ['a matrix of three generators', '    - matrix:\n        generators:\n          - list: {elements: [{a: x}]}\n          - list: {elements: [{b: y}]}\n          - list: {elements: [{c: z}]}\n', true, 'matrix generator has 3 generators: Argo CD takes exactly two'],
    ['a merge without mergeKeys', '    - merge:\n        generators:\n          - list: {elements: [{app: web}]}\n          - list: {elements: [{app: web}]}\n', true, 'merge generator has no mergeKeys'],
    ['two merge sets with the same key', '    - merge:\n        mergeKeys: [app]\n        generators:\n          - list: {elements: [{app: web}, {app: web}]}\n          - list: {elements: [{app: web}]}\n', true, 'merge generator: two parameter sets of one generator have the same merge keys ["web"]'],
    ['a fasttemplate matrix whose generators disagree on a parameter', '    - matrix:\n        generators:\n          - list: {elements: [{app: web}]}\n          - list: {elements: [{app: api}]}\n', false, 'matrix generator: both generators set the parameter app (element 1: "web", element 1: "api")'],
    ['a missing key in the second matrix generator', `    - matrix:\n        generators:\n          - list: {elements: [{app: web}]}\n          - git:\n              repoURL: ${REPO}\n              revision: HEAD\n              files: [{path: "envs/{{.env}}/*.yaml"}]\n`, true, 'matrix generator: envs/{{.env}}/*.yaml in the second generator, for element 1: .env: map has no entry for key "env"'],
    ['a git file that holds a string', `    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        files: [{path: "envs/*.yaml"}]\n`, true, 'git files generator: envs/x.yaml holds neither an object nor a list of objects'],
  ])('%s is an error Argo CD reports: the set generates nothing', (_what, generators, go, message) => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(generators, template('{{.app}}', 'apps/{{.app}}'), go),
      'envs/x.yaml': 'just text\n',
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(errors(t)).toEqual([`argocd/apps.yaml: ${message}: Argo CD generates no Application from this ApplicationSet`]);
    expect(units(t)).toEqual({ argocd: ['root'] });
  });
});

describe('Argo CD namespaces an Application creates itself', () => {
  const app = (name: string, create: boolean) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${REPO}\n    path: apps/${name}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shared\n${create ? '  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n' : ''}`;
  const CMin = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shared\n`;
  const ordering = async (bCreates: boolean) => {
    const report = await validateFiles(files({ 'argocd/root.yaml': root, 'argocd/a.yaml': app('a', true), 'argocd/b.yaml': app('b', bCreates), 'apps/a/cm.yaml': CMin('a'), 'apps/b/cm.yaml': CMin('b') }));
    return report.findings.filter((f) => f.message.includes('not ordered before')).map((f) => `${f.severity} ${f.file}: ${f.message}`);
  };

  it('two Applications with CreateNamespace=true for the same namespace each create it: no order needed (argo-cd controller/sync.go)', async () => {
    expect(await ordering(true)).toEqual([]);
  });

  it('one without it needs the other first: in a repository not made here, synced by hand, a race the person syncing settles: a warning', async () => {
    expect(await ordering(false)).toEqual(['warning apps/b/cm.yaml: namespace shared is created by a, which is not ordered before b on cluster argocd: syncing it by hand fails until a has synced']);
  });
});

describe('an Application with a single chart source', () => {
  it("has its inline helm.values checked against the chart (Argo CD's order: value files, values, valuesObject)", async () => {
    const app = (values: string) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cert-manager\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://charts.jetstack.io\n    chart: cert-manager\n    targetRevision: v1.21.1\n    helm:\n      values: |\n${values}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: cert-manager\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n`;
    const check = async (values: string) => (await validateFiles(files({ 'argocd/root.yaml': root, 'argocd/cert-manager.yaml': app(values) }))).findings.filter((f) => f.check === 'values').map((f) => `${f.severity} ${f.path} ${f.message}`);
    expect(await check('        replicaCount: 2')).toEqual([]);
    expect(await check('        replicasCount: 2')).toEqual([expect.stringMatching(/^error \/spec\/source\/helm.* unknown key "replicasCount"/)]);
  });
});

describe("the repository's own URL", () => {
  it('is taken from the checkout\'s git remotes, credentials dropped, ssh remotes also as https', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { repositoryUrls } = await import('../../lib/validate/directory.js');
    const dir = tempDir('hp-remotes-');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = https://gitlab-ci-token:glcbt-secret@gitlab.example.nl/platform/apps.git\n[remote "gh"]\n\turl = git@github.com:org/apps.git\n');
    const urls = repositoryUrls(dir);
    expect(urls).toEqual(['https://gitlab.example.nl/platform/apps.git', 'git@github.com:org/apps.git', 'https://github.com/org/apps.git']);
    expect(JSON.stringify(urls)).not.toContain('secret');
  });

  it('unknown (an ApplicationSet applied by hand): a git generator whose directories are here is taken to read this repository, and said so', () => {
    const t = discover(files({
      'argocd/apps.yaml': appset(`    - git:\n        repoURL: https://github.com/org/elsewhere.git\n        revision: HEAD\n        directories:\n          - path: apps/*\n`, template('{{.path.basename}}', '{{.path.path}}').replace(REPO, 'https://github.com/org/elsewhere.git')),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(t.notes).toContain("argocd/apps.yaml: ApplicationSet apps's git generator reads https://github.com/org/elsewhere.git, taken to be this repository (its directories are here; the repository's own URL is not known)");
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
  });
});

describe('Argo CD objects applied by hand from a directory with a kustomization', () => {
  it('take in everything it builds (the AppProject beside the ApplicationSet), and a patch whose target a helmCharts entry makes is no error', async () => {
    const project = 'apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: apps\n  namespace: argocd\nspec:\n  sourceRepos: ["*"]\n  destinations:\n    - server: "*"\n      namespace: "*"\n  clusterResourceWhitelist:\n    - group: "*"\n      kind: "*"\n';
    const set = appset(`    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        directories:\n          - path: apps/*\n`, template('{{.path.basename}}', '{{.path.path}}').replace('project: default', 'project: apps'));
    const report = await validateFiles(files({
      'argocd/kustomization.yaml': 'resources:\n  - project.yaml\n  - apps.yaml\n',
      'argocd/project.yaml': project,
      'argocd/apps.yaml': set,
      'apps/web/cm.yaml': CM('web'),
      'apps/csi/kustomization.yaml': 'helmCharts:\n  - name: csi\n    repo: oci://ghcr.io/example/charts\n    version: 1.0.0\npatches:\n  - path: patch.yaml\n',
      'apps/csi/patch.yaml': 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: csi\nreclaimPolicy: Retain\n',
    }));
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['argocd']);
  });
});

describe('several directories of Argo CD objects applied by hand', () => {
  it('are taken as one Argo CD for namespaces: what one creates, the others may use', async () => {
    const app = (name: string, create: boolean) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${REPO}\n    path: apps/${name}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shared\n${create ? '  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n' : ''}`;
    const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shared\n`;
    const never = async (aCreates: boolean) =>
      (await validateFiles(files({ 'infra/a.yaml': app('a', aCreates), 'platform/b.yaml': app('b', false), 'apps/a/cm.yaml': cm('a'), 'apps/b/cm.yaml': cm('b') }))).findings.filter((f) => f.message.includes('never created')).map((f) => f.file);
    expect(await never(true)).toEqual([]);
    expect(await never(false)).toEqual(['apps/a/cm.yaml', 'apps/b/cm.yaml']);
  });
});

describe('what Argo CD does with generators that the first version missed (expert review)', () => {
  it('fasttemplate leaves a tag with no parameter as written: no error (Prometheus rule text in values, say)', () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset('    - list:\n        elements:\n          - app: web\n', template('{{app}}', 'apps/{{app}}').replace("    metadata:\n      name: '{{app}}'\n", "    metadata:\n      name: '{{app}}'\n      annotations:\n        summary: '{{ $labels.pod }} is down'\n"), false),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(t.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
  });

  it("a git generator's values are rendered per directory; its own template is merged over the set's; hidden directories are not listed", () => {
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset(
        `    - git:\n        repoURL: ${REPO}\n        revision: HEAD\n        directories:\n          - path: "apps/*"\n        values:\n          dir: '{{.path.path}}'\n        template:\n          spec:\n            source:\n              path: '{{.values.dir}}'\n`,
        template('{{.path.basename}}', 'placeholder'),
      ),
      'apps/web/cm.yaml': CM('web'),
      'apps/.hidden/cm.yaml': CM('hidden'),
    }));
    expect(t.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['root', 'web']);
  });

  it('a cluster registered with the in-cluster server is walked with the cluster Argo CD runs on', () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: in-cluster\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\n    tier: local\nstringData:\n  name: in-cluster\n  server: https://kubernetes.default.svc\n';
    const t = discover(files({
      'argocd/root.yaml': root,
      'argocd/cluster.yaml': secret,
      'argocd/apps.yaml': appset('    - clusters:\n        selector:\n          matchLabels:\n            tier: local\n', template('{{.name}}-web', 'apps/web', "        server: '{{.server}}'\n")),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['argocd']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['in-cluster-web', 'root']);
  });

  it('a templated path with many names in it is matched as text, in bounded time', () => {
    const t = discover(files({
      'argocd/fleet.yaml': appset('    - clusters: {}\n', template('{{.name}}', `${'{{.name}}'.repeat(10)}x`)),
      [`${'a'.repeat(60)}/cm.yaml`]: CM('a'),
    }));
    expect(t.clusters.length).toBeGreaterThan(0);
  });
});

describe('Argo CD semantics the expert review asked for', () => {
  it('one path into several namespaces: objects without a namespace go to each destination namespace, no "applied twice"', async () => {
    const report = await validateFiles(files({
      'argocd/root.yaml': root,
      'argocd/apps.yaml': appset('    - list:\n        elements:\n          - env: dev\n          - env: test\n', template('guestbook-{{.env}}', 'apps/guestbook').replace('        namespace: default\n', "        namespace: 'guestbook-{{.env}}'\n      syncPolicy:\n        syncOptions:\n          - CreateNamespace=true\n")),
      'apps/guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\n',
    }));
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
  });

  it('a directory applied by hand with a kustomization is built with its patches, the patch file no object of its own', async () => {
    const app = `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: ${REPO}\n    path: apps/web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n`;
    const report = await validateFiles(files({
      'argocd/kustomization.yaml': 'resources:\n  - web.yaml\npatches:\n  - path: web-patch.yaml\n',
      'argocd/web.yaml': app,
      'argocd/web-patch.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n',
      'apps/web/cm.yaml': CM('web').replace('namespace: default', 'namespace: web'),
    }));
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['argocd']);
  });
});
