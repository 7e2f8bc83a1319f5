/**
 * `validate` on corpora of our own making (test/fixtures/corpora: layouts the public examples lack), on
 * disk with kubectl as a user runs it: each gives only the warnings named here, and each mistake of the
 * catalogue below — the kind people make — is caught where it was made. docs/validation.md lists the
 * catalogue with what is caught.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateDirectory } from '../../lib/validate/directory.js';
import { exitCode, formatHuman, formatJson, formatJunit, summaryLine } from '../../lib/validate/report.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';
import { ROOT } from '../helpers.js';

const CORPORA = join(ROOT, 'test', 'fixtures', 'corpora');
const scratch = mkdtempSync(join(tmpdir(), 'hp-corpora-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const validate = (dir: string) => validateDirectory(dir, { schemaLocations: [BUNDLED_SCHEMAS] });
const errors = (r: Awaited<ReturnType<typeof validate>>) => r.findings.filter((f) => f.severity === 'error');

describe('corpora of our own', () => {
  it.each([
    ['flux-nested-fleet', 'lab/a flux, lab/b flux, prod/eu-1 flux', []],
    ['argocd-appsets-helm', 'argocd argocd, edge-1 argocd', ['argocd/fleet/registrations.yaml no release in this repository installs the CRDs of external-secrets.io']],
  ] as const)('%s validates with its clusters found and only the warnings it has', async (name, clusters, warnings) => {
    const report = await validate(join(CORPORA, name));
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => `${c.name} ${c.engine}`).join(', ')).toBe(clusters);
    const found = report.findings.filter((f) => f.severity === 'warning').map((f) => `${f.file} ${f.message}`);
    expect(found.length).toBe(warnings.length);
    for (const w of warnings) expect(found.some((f) => f.startsWith(w)), w).toBe(true);
  });
});

/** A realistic mistake: the corpus, the file, the change, and where and what the finding must say. */
type Mutation = [title: string, corpus: string, file: string, change: (text: string) => string, expected: { file: string; message: RegExp }];

const FLUX = 'flux-nested-fleet';
const ARGO = 'argocd-appsets-helm';
const MUTATIONS: Mutation[] = [
  ['a HelmRelease API version Flux 2.9 no longer serves', FLUX, 'infrastructure/controllers/cert-manager.yaml', (t) => t.replace('helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta1'),
    { file: 'infrastructure/controllers/cert-manager.yaml', message: /helm\.toolkit\.fluxcd\.io\/v2beta1 is not served by Flux 2\.9/ }],
  ['a Kustomization API version Flux 2.9 no longer serves', FLUX, 'clusters/lab/a/apps.yaml', (t) => t.replace('kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps', 'kustomize.toolkit.fluxcd.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: apps'),
    { file: 'clusters/lab/a/apps.yaml', message: /kustomize\.toolkit\.fluxcd\.io\/v1beta1 is not served/ }],
  ['an indentation slip that moves a chart value out of its parent', FLUX, 'infrastructure/controllers/cert-manager.yaml', (t) => t.replace('      enabled: true\n    replicaCount: 2', '      enabled: true\n      replicaCount: 2'),
    { file: 'infrastructure/controllers/cert-manager.yaml', message: /unknown key "replicaCount" \(values.schema.json of cert-manager v1\.21\.1\)/ }],
  ['a chart value misspelt', FLUX, 'infrastructure/controllers/cert-manager.yaml', (t) => t.replace('replicaCount: 2', 'replicasCount: 2'),
    { file: 'infrastructure/controllers/cert-manager.yaml', message: /unknown key "replicasCount"/ }],
  ['a Kustomization path misspelt', FLUX, 'clusters/lab/a/apps.yaml', (t) => t.replace('./infrastructure/controllers', './infrastructure/controlers'),
    { file: 'clusters/lab/a/apps.yaml', message: /path \.\/infrastructure\/controlers does not exist/ }],
  ['a dependsOn on a Kustomization the cluster does not have', FLUX, 'clusters/lab/a/apps.yaml', (t) => t.replace('    - name: infrastructure', '    - name: infra'),
    { file: 'clusters/lab/a/apps.yaml', message: /dependsOn infra is not a Kustomization of cluster lab\/a/ }],
  ['a variable a cluster does not set', FLUX, 'clusters/lab/b/apps.yaml', (t) => t.replace('      CLUSTER_NAME: lab-b\n', ''),
    { file: 'apps/base/greeting/deployment.yaml', message: /\$\{CLUSTER_NAME\} has no value on cluster lab\/b/ }],
  ['an ExternalArtifact name misspelt', FLUX, 'clusters/prod/eu-1/sync.yaml', (t) => t.replace('    name: platform', '    name: platfrom'),
    { file: 'clusters/prod/eu-1/sync.yaml', message: /sourceRef ExternalArtifact\/platfrom does not exist/ }],
  ['an unquoted YAML 1.1 boolean in an Argo CD plain directory', ARGO, 'apps/web/deployment.yaml', (t) => t.replace('        app.kubernetes.io/name: web\n', '        app.kubernetes.io/name: web\n        canary: no\n'),
    { file: 'apps/web/deployment.yaml', message: /"no" \(line \d+\) is a boolean in YAML 1\.1/ }],
  ['a Secret committed in plaintext', FLUX, 'apps/base/greeting/namespace.yaml', (t) => `${t}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-correct-horse\n`,
    { file: 'apps/base/greeting/namespace.yaml', message: /Secret holds plaintext values \(password\)/ }],
  ['a field indented into the wrong object', FLUX, 'apps/base/greeting/deployment.yaml', (t) => t.replace('spec:\n  replicas:', 'spec:\n  replica:'),
    { file: 'apps/base/greeting/deployment.yaml', message: /unknown field "replica"/ }],
  ['an RBAC name with a slash', FLUX, 'infrastructure/controllers/rbac.yaml', (t) => t.replace('name: "platform:greeting-reader"\nrules', 'name: "platform/greeting-reader"\nrules'),
    { file: 'infrastructure/controllers/rbac.yaml', message: /is not a valid ClusterRole name/ }],
  ['a kustomization resource that is not there', FLUX, 'infrastructure/controllers/kustomization.yaml', (t) => t.replace('  - rbac.yaml', '  - rbac.yaml\n  - issuers.yaml'),
    { file: 'infrastructure/controllers/kustomization.yaml', message: /issuers\.yaml/ }],
  ['a Flux Kustomization component that is not there', FLUX, 'clusters/lab/a/apps.yaml', (t) => t.replace('../components/debug', '../components/debg'),
    { file: 'clusters/lab/a/apps.yaml', message: /components: \.\.\/components\/debg does not exist/ }],
  ['a mistake inside a component a Flux Kustomization adds', FLUX, 'apps/components/debug/debug-settings.yaml', (t) => t.replace('name: greeting-debug', 'name: greeting_debug'),
    { file: 'apps/components/debug/debug-settings.yaml', message: /"greeting_debug" is not a valid ConfigMap name/ }],
  ['an Argo CD project misspelt', ARGO, 'argocd/apps/web.yaml', (t) => t.replace('project: platform', 'project: platfrom'),
    { file: 'argocd/apps/web.yaml', message: /project platfrom is not an AppProject/ }],
  ['a value file that is not there', ARGO, 'argocd/apps/cert-manager.yaml', (t) => t.replace('$values/values/cert-manager.yaml', '$values/values/certmanager.yaml'),
    { file: 'argocd/apps/cert-manager.yaml', message: /value file \$values\/values\/certmanager\.yaml does not exist/ }],
  ['an Application path misspelt', ARGO, 'argocd/apps/api.yaml', (t) => t.replace('path: apps/api', 'path: apps/apl'),
    { file: 'argocd/apps/api.yaml', message: /source path apps\/apl does not exist/ }],
  ['an Application API version Argo CD does not serve', ARGO, 'argocd/apps/api.yaml', (t) => t.replace('argoproj.io/v1alpha1', 'argoproj.io/v1beta1'),
    { file: 'argocd/apps/api.yaml', message: /argoproj\.io\/v1beta1 is not served by Argo CD/ }],
  ['an ApplicationSet template reading a label no cluster has', ARGO, 'argocd/fleet/web-appset.yaml', (t) => t.replace('namespace: web\n      syncPolicy', 'namespace: \'web-{{index .metadata.labels "region"}}\'\n      syncPolicy'),
    { file: 'argocd/fleet/web-appset.yaml', message: /for cluster edge-1: .*index "region" renders an empty string: cluster edge-1 has no label or annotation region/ }],
  ['a Helm chart source without targetRevision', ARGO, 'argocd/apps/cert-manager.yaml', (t) => t.replace('      targetRevision: v1.21.1\n', ''),
    { file: 'argocd/apps/cert-manager.yaml', message: /a Helm chart source needs targetRevision/ }],
  ['a chart value misspelt in a value file', ARGO, 'values/cert-manager.yaml', (t) => t.replace('replicaCount', 'replicaCnt'),
    { file: 'argocd/apps/cert-manager.yaml', message: /unknown key "replicaCnt"/ }],
  ['a resource applied into a namespace nothing creates', ARGO, 'argocd/apps/api.yaml', (t) => t.replace('  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n', ''),
    { file: 'apps/api/config.yaml', message: /namespace api is never created on cluster argocd/ }],
  ['a ConfigMap name that is no DNS name', ARGO, 'apps/edge/edge-1/configmap.yaml', (t) => t.replace('name: edge', 'name: Edge_Config'),
    { file: 'apps/edge/edge-1/configmap.yaml', message: /"Edge_Config" is not a valid ConfigMap name/ }],
];

describe('the mistake catalogue on our corpora', () => {
  it('has at least 20 mistakes', () => expect(MUTATIONS.length).toBeGreaterThanOrEqual(20));

  it.each(MUTATIONS)('catches %s', async (title, corpus, file, change, expected) => {
    const dir = join(scratch, title.replace(/[^a-z0-9]+/gi, '-'));
    cpSync(join(CORPORA, corpus), dir, { recursive: true });
    const path = join(dir, file);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    expect(after, 'the mutation changes the file').not.toBe(before);
    writeFileSync(path, after);
    const report = await validate(dir);
    const found = errors(report).map((f) => ({ file: f.file, message: f.message }));
    expect(found, JSON.stringify(found, null, 1)).toContainEqual({ file: expected.file, message: expect.stringMatching(expected.message) });
  });
});

/** A chart version the pinned data does not hold: checked against the nearest pinned version, exit code 3. */
describe('chart versions outside the pinned data', () => {
  const FLUX_HR = 'infrastructure/controllers/cert-manager.yaml';
  const ARGO_APP = 'argocd/apps/cert-manager.yaml';
  const mutated = async (corpus: string, file: string, change: (text: string) => string) => {
    const dir = join(scratch, `version-${corpus}-${Math.random().toString(36).slice(2)}`);
    cpSync(join(CORPORA, corpus), dir, { recursive: true });
    const before = readFileSync(join(dir, file), 'utf8');
    const after = change(before);
    expect(after, 'the mutation changes the file').not.toBe(before);
    writeFileSync(join(dir, file), after);
    return validate(dir);
  };
  const by = (r: Awaited<ReturnType<typeof validate>>, severity: string) => r.findings.filter((f) => f.severity === severity).map((f) => `${f.file} ${f.message}`);

  it('a newer version: unverified, values checked against the nearest pinned version, exit code 3', async () => {
    const report = await mutated(FLUX, FLUX_HR, (t) => t.replace('version: v1.21.1', 'version: v1.22.0').replace('replicaCount: 2', 'replicasCount: 2'));
    expect(errors(report)).toEqual([]);
    expect(by(report, 'unverified')).toEqual([
      `${FLUX_HR} cert-manager v1.22.0 is not in the pinned chart data: values checked against v1.21.1, the nearest pinned version (1 problem(s), listed as warnings); check the version exists, and pin a version the data holds or give that version's chart data with --chart-data`,
    ]);
    expect(by(report, 'warning')).toContainEqual(expect.stringMatching(/^infrastructure\/controllers\/cert-manager\.yaml values \/ .*unknown key "replicasCount".*; the cluster gets cert-manager v1\.22\.0$/));
    expect(exitCode(report)).toBe(3);
    expect(summaryLine(report)).toMatch(/^\? not verified: 1 chart version\(s\) outside the pinned data/);
    expect(formatHuman(report)).toContain(`  ? [values] HelmRelease cert-manager/cert-manager /spec/chart/spec/version: cert-manager v1.22.0 is not in the pinned chart data`);
    expect(formatJunit(report, report.paths)).toMatch(/<testcase classname="values" name="infrastructure\/controllers\/cert-manager\.yaml"><skipped message="cert-manager v1\.22\.0 is not/);
    expect(JSON.parse(formatJson(report))).toMatchObject({ valid: true, verified: false, exitCode: 3 });
  });

  it('the pinned version written without its "v" is the pinned version: its problems stay errors', async () => {
    const report = await mutated(FLUX, FLUX_HR, (t) => t.replace('version: v1.21.1', 'version: 1.21.1').replace('replicaCount: 2', 'replicasCount: 2'));
    expect(by(report, 'unverified')).toEqual([]);
    expect(errors(report).map((f) => f.message)).toContainEqual(expect.stringMatching(/unknown key "replicasCount"/));
    expect(exitCode(report)).toBe(1);
  });

  it('from an OCI registry the tag is taken as written: `1.21.1` is not the pinned `v1.21.1` there', async () => {
    const oci = (t: string) => t.replace('  url: https://charts.jetstack.io', '  type: oci\n  url: oci://quay.io/jetstack/charts');
    const report = await mutated(FLUX, FLUX_HR, (t) => oci(t).replace('version: v1.21.1', 'version: 1.21.1'));
    expect(by(report, 'unverified')).toEqual([expect.stringContaining(`${FLUX_HR} cert-manager 1.21.1 is not in the pinned chart data: values checked against v1.21.1, the nearest pinned version;`)]);
    const pinned = await mutated(FLUX, FLUX_HR, (t) => oci(t));
    expect(by(pinned, 'unverified')).toEqual([]);
    expect(exitCode(pinned)).toBe(0);
  });

  it('a range: checked against the newest pinned version it allows', async () => {
    const report = await mutated(FLUX, FLUX_HR, (t) => t.replace('version: v1.21.1', 'version: ">=1.20.0 <2.0.0"'));
    expect(by(report, 'unverified')).toEqual([expect.stringContaining(`${FLUX_HR} cert-manager >=1.20.0 <2.0.0 is a range the cluster resolves upstream when it reconciles: values checked against v1.21.1, the newest pinned version it allows;`)]);
    expect(exitCode(report)).toBe(3);
  });

  it('a range no pinned version satisfies, or a namesake chart from another repository: values not checked, a warning', async () => {
    const range = await mutated(FLUX, FLUX_HR, (t) => t.replace('version: v1.21.1', 'version: 2.x'));
    expect(by(range, 'warning')).toContain(`${FLUX_HR} no chart data for cert-manager 2.x: values not checked`);
    expect(exitCode(range)).toBe(0);
    const namesake = await mutated(FLUX, FLUX_HR, (t) => t.replace('https://charts.jetstack.io', 'https://charts.example.org/stable').replace('version: v1.21.1', 'version: v1.22.0'));
    expect(by(namesake, 'unverified')).toEqual([]);
    expect(by(namesake, 'warning')).toContain(`${FLUX_HR} no chart data for cert-manager v1.22.0: values not checked`);
    expect(exitCode(namesake)).toBe(0);
  });

  it('an Argo CD chart source at an unknown version, and an older one: the nearest pinned version', async () => {
    const newer = await mutated(ARGO, ARGO_APP, (t) => t.replace('targetRevision: v1.21.1', 'targetRevision: v1.99.0'));
    expect(by(newer, 'unverified')).toEqual([expect.stringContaining(`${ARGO_APP} cert-manager v1.99.0 is not in the pinned chart data: values checked against v1.21.1`)]);
    const older = await mutated(ARGO, ARGO_APP, (t) => t.replace('targetRevision: v1.21.1', 'targetRevision: v1.2.0'));
    expect(by(older, 'unverified')).toEqual([expect.stringContaining('cert-manager v1.2.0 is not in the pinned chart data: values checked against v1.21.1')]);
    expect(exitCode(older)).toBe(3);
  });
});

describe('YAML 1.1 booleans where kustomize reads the file', () => {
  it('are no error: kustomize reads YAML 1.2 and writes them quoted (kubectl kustomize gives enabled: "on")', async () => {
    const dir = join(scratch, 'yaml11-flux');
    cpSync(join(CORPORA, FLUX), dir, { recursive: true });
    const file = join(dir, 'apps/base/greeting/deployment.yaml');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace('value: "Hello from ${CLUSTER_NAME}"', 'value: yes'));
    expect(readFileSync(file, 'utf8')).not.toBe(before);
    expect(errors(await validate(dir))).toEqual([]);
  });
});

describe('a repository on disk with a .sourceignore', () => {
  it('is read with it: what it leaves out of the artifact is not built', async () => {
    const dir = join(scratch, 'sourceignore');
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write('clusters/prod/apps.yaml', 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n');
    write('apps/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n');
    write('apps/renovate.yaml', 'extends: [config:recommended]\n');
    const before = await validate(dir);
    expect(errors(before).map((f) => f.file)).toEqual(['apps/renovate.yaml']);
    write('apps/.sourceignore', 'renovate.yaml\n');
    const after = await validate(dir);
    expect(errors(after)).toEqual([]);
    expect(after.stats.objects).toBeGreaterThan(0);
  });
});
