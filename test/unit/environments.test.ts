/**
 * Environments: each has its own layer of chart versions and values, so a version held in production
 * (or promoted to it) is one line. Checked on what each cluster actually gets: the built overlays
 * (in memory and with kubectl), the Argo CD Applications, and the Applications a hub generates.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { environmentVersionsIn } from '../../lib/environments.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { expandApplicationSets } from '../../lib/validate/applicationset.js';
import { buildKustomization, objectsOf, type K8sObject } from '../../lib/validate/build.js';
import { exitCode } from '../../lib/validate/report.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { tempDir } from '../helpers.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const answers = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);
const PIN = catalog.components.get('postgres')!.controller!.releases.find((r) => r.name === 'cloudnative-pg')!.version;
const HELD = '0.28.0';

const BASE: RawAnswers = {
  provider: 'ovhcloud',
  clusters: ['t', 'a', 'p1', 'p2'],
  'cluster-settings': ['t.environment=test', 'a.environment=acceptance', 'p1.environment=production', 'p2.environment=production'],
  preset: 'minimal',
  'git-remote': 'https://git.example.nl/platform.git',
  'environment-versions': [`production.cloudnative-pg=${HELD}`, `test.cloudnative-pg=${PIN}`],
};
const LAYOUT = { clusters: [{ name: 't', environment: 'test' }, { name: 'a', environment: 'acceptance' }, { name: 'p1', environment: 'production' }, { name: 'p2', environment: 'production' }] };
const WANT = { t: PIN, a: PIN, p1: HELD, p2: HELD } as Record<string, string>;

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name)!;
const chartVersion = (hr: K8sObject) => (hr.spec as { chart: { spec: { version: string } } }).chart.spec.version;

function onDisk(files: FileSet): string {
  const root = tempDir('env-');
  for (const [p, t] of files.entries()) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), t);
  }
  return root;
}

describe('environments', () => {
  it('takes versions, tags and semver ranges, and refuses what could leave a YAML scalar, a table cell or a shell word', () => {
    const held = (version: string) => answers({ ...BASE, engine: 'flux', 'environment-versions': [`production.cloudnative-pg=${version}`] }).environmentVersions[0].version;
    for (const ok of ['0.28.0', 'v1.2.3-rc.1+build.5', '~0.28', '>=0.27.0 <0.29.0', '0.28.*']) expect(held(ok)).toBe(ok);
    for (const bad of ['0.28"; rm -rf /', '0.28 | 1.0', '`id`', '$(id)', '0.28\nkey: x', ' 0.28', '']) {
      expect(() => held(bad), bad).toThrow(/environment-versions: production\.cloudnative-pg: .* is not a chart version, tag or semver range|is not environment\.release=version/);
    }
  });

  it('stores only holds that apply: a hold equal to the pin is dropped', () => {
    const plan = render(answers({ ...BASE, engine: 'flux' }), catalog).plan;
    expect(plan.environments).toEqual(['test', 'acceptance', 'production']);
    expect(plan.answers.environmentVersions).toEqual([{ environment: 'production', release: 'cloudnative-pg', version: HELD }]);
  });

  it('Flux: every cluster builds the version of its environment; environment values sit between base and cluster values (as kubectl builds it)', async () => {
    const { files } = render(answers({ ...BASE, engine: 'flux' }), catalog);
    const layer = 'infrastructure/postgres/controller/environments/production/releases.yaml';
    // A value for production only, and one the cluster p2 overrides.
    files.replace(layer, files.get(layer)!.replace(`version: ${HELD}\n`, `version: ${HELD}\n  values:\n    replicaCount: 2\n    priorityClassName: production\n`));
    files.add('infrastructure/postgres/controller/overlays/p2/values.yaml', '---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cloudnative-pg\n  namespace: cnpg-system\nspec:\n  values:\n    replicaCount: 3\n');
    const overlay = files.get('infrastructure/postgres/controller/overlays/p2/kustomization.yaml')!;
    files.replace('infrastructure/postgres/controller/overlays/p2/kustomization.yaml', overlay.includes('patches:\n') ? overlay.replace(/(patches:\n(?: {2}- path: .*\n)*)/, '$1  - path: values.yaml\n') : `${overlay}patches:\n  - path: values.yaml\n`);
    const root = onDisk(files);
    for (const cluster of ['t', 'a', 'p1', 'p2']) {
      const dir = `infrastructure/postgres/controller/overlays/${cluster}`;
      const built = buildKustomization(files, dir);
      expect(built.errors, cluster).toEqual([]);
      const hr = find(built.objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg');
      expect(chartVersion(hr), cluster).toBe(WANT[cluster]);
      // The offline builder agrees with kustomize.
      const kubectl = find(objectsOf(execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8' })), 'HelmRelease', 'cloudnative-pg');
      expect(hr.spec, cluster).toEqual(kubectl.spec);
    }
    const p1 = find(buildKustomization(files, 'infrastructure/postgres/controller/overlays/p1').objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg');
    const p2 = find(buildKustomization(files, 'infrastructure/postgres/controller/overlays/p2').objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg');
    const t = find(buildKustomization(files, 'infrastructure/postgres/controller/overlays/t').objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg');
    expect((p1.spec!.values as Record<string, unknown>).priorityClassName).toBe('production');
    expect((p2.spec!.values as Record<string, unknown>).replicaCount).toBe(3);
    expect((p2.spec!.values as Record<string, unknown>).priorityClassName).toBe('production');
    expect((t.spec!.values as Record<string, unknown>).priorityClassName).toBeUndefined();
    const report = await validateFiles(files, { catalog });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // A held version without offline chart data is said, not hidden: checked against the nearest pinned version (exit code 3).
    expect(report.findings.filter((f) => f.severity === 'unverified').map((f) => f.message)).toContainEqual(
      expect.stringMatching(new RegExp(`^cloudnative-pg ${HELD.replaceAll('.', '\\.')} is not in the pinned chart data: values checked against ${PIN.replaceAll('.', '\\.')}, the nearest pinned version;`)),
    );
    expect(exitCode(report)).toBe(3);
  });

  it('Flux with shared overlays: one profile per environment includes its layer', async () => {
    const { files } = render(answers({ ...BASE, engine: 'flux', overlays: 'per-profile' }), catalog);
    const built = buildKustomization(files, 'infrastructure/postgres/controller/profiles/ovhcloud-production');
    expect(chartVersion(find(built.objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg'))).toBe(HELD);
    expect(chartVersion(find(buildKustomization(files, 'infrastructure/postgres/controller/profiles/ovhcloud-test').objects.map((b) => b.object), 'HelmRelease', 'cloudnative-pg'))).toBe(PIN);
    expect((await validateFiles(files, { catalog })).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('Argo CD: each cluster\'s Application runs its environment\'s version with base, environment and cluster values in that order', async () => {
    const { files } = render(answers({ ...BASE, engine: 'argocd' }), catalog);
    for (const cluster of ['t', 'a', 'p1', 'p2']) {
      const app = objectsOf(files.get(`clusters/${cluster}/apps/cloudnative-pg.yaml`)!)[0];
      const [chart] = (app.spec as { sources: { targetRevision: string; helm: { valueFiles: string[] } }[] }).sources;
      expect(chart.targetRevision, cluster).toBe(WANT[cluster]);
      const environment = LAYOUT.clusters.find((c) => c.name === cluster)!.environment;
      expect(chart.helm.valueFiles.slice(0, 2)).toEqual([
        '$values/infrastructure/postgres/controller/base/cloudnative-pg.values.yaml',
        `$values/infrastructure/postgres/controller/environments/${environment}/cloudnative-pg.values.yaml`,
      ]);
    }
    expect((await validateFiles(files, { catalog })).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('Argo CD hub: one ApplicationSet per environment, selected by the environment label; each cluster gets its version', async () => {
    // ExternalSecrets: the registrations exist without values, so the ApplicationSets can be expanded.
    const { files } = render(answers({ ...BASE, engine: 'argocd', topology: 'hub', 'hub-cluster': 't', secrets: 'external-secrets', 'secret-store': 'openbao' }), catalog);
    const fleet = buildKustomization(files, 'clusters/t/fleet');
    expect(fleet.errors).toEqual([]);
    expect(files.has('clusters/t/fleet/cloudnative-pg.production.yaml') && files.has('clusters/t/fleet/cloudnative-pg.acceptance.yaml')).toBe(true);
    const { generated, findings } = expandApplicationSets(files, fleet.objects, new Set());
    expect(findings).toEqual([]);
    for (const cluster of ['a', 'p1', 'p2']) {
      const apps = generated.get(cluster)!.filter((b) => b.object.metadata!.name === `${cluster}.cloudnative-pg`);
      expect(apps, cluster).toHaveLength(1);
      expect((apps[0].object.spec as { sources: { targetRevision: string }[] }).sources[0].targetRevision, cluster).toBe(WANT[cluster]);
    }
    expect((await validateFiles(files, { catalog })).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('reads back what each environment runs, for every layout (what upgrade --environments holds)', () => {
    for (const extra of [{ engine: 'flux' }, { engine: 'flux', overlays: 'per-profile' }, { engine: 'argocd' }, { engine: 'argocd', topology: 'hub', 'hub-cluster': 't' }] as RawAnswers[]) {
      const { files } = render(answers({ ...BASE, ...extra }), catalog);
      const layout = { ...LAYOUT, hub: extra.topology === 'hub' ? 't' : undefined };
      const now = environmentVersionsIn(files.entries(), catalog, layout);
      expect(Object.fromEntries([...now].map(([e, m]) => [e, m.get('cloudnative-pg')])), JSON.stringify(extra)).toEqual({ test: PIN, acceptance: PIN, production: HELD });
      expect(now.get('production')!.get('plugin-barman-cloud')).toBe(catalog.components.get('postgres')!.controller!.releases[1].version);
    }
  });

  it('fails validation on a missing or broken layer, naming the file', async () => {
    const { files } = render(answers({ ...BASE, engine: 'flux' }), catalog);
    const broken = new FileSet();
    for (const [p, t] of files.entries()) if (!p.startsWith('infrastructure/cert-manager/controller/environments/acceptance/')) broken.add(p, t);
    const layer = 'infrastructure/postgres/controller/environments/test/releases.yaml';
    broken.replace(layer, broken.get(layer)!.replace('name: cloudnative-pg', 'name: cloudnative-pgg'));
    const errors = (await validateFiles(broken, { catalog })).findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
    expect(errors).toContain('infrastructure/cert-manager/controller/overlays/a/kustomization.yaml: components: ../../environments/acceptance does not exist');
    expect(errors).toContain(`${layer}: patch for HelmRelease cnpg-system/cloudnative-pgg matches no object in the build of infrastructure/postgres/controller/environments/test`);
  });
});

describe('kubectl builds on disk', () => {
  it('finds the top-level kustomizations (bases and environment layers inside their overlays) and names the base that breaks, and what breaks with it', async () => {
    const { validateDirectory } = await import('../../lib/validate/directory.js');
    const { kustomizationDirs, topLevelDirs } = await import('../../lib/validate/kustomize.js');
    const { files } = render(answers({ ...BASE, engine: 'flux' }), catalog);
    const root = onDisk(files);
    const all = kustomizationDirs(root).map((d) => d.slice(root.length + 1));
    const top = topLevelDirs(kustomizationDirs(root)).map((d) => d.slice(root.length + 1));
    expect(all).toContain('infrastructure/postgres/controller/base');
    expect(all).not.toContain('infrastructure/postgres/controller/environments/production'); // a Component
    expect(top).not.toContain('infrastructure/postgres/controller/base');
    expect(top).toContain('infrastructure/postgres/controller/overlays/p1');
    expect(top.every((d) => d.includes('/overlays/'))).toBe(true);

    const clean = await validateDirectory(root, { catalog });
    // Every kustomization here builds offline: kubectl is not even asked for.
    expect(clean.kubectlBuilt).toEqual([]);
    expect(clean.kubectl).toBeUndefined();
    expect(clean.findings.filter((f) => f.severity === 'error')).toEqual([]);

    writeFileSync(join(root, 'infrastructure/postgres/controller/base/kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gone.yaml\n');
    // The offline builder (equal to kustomize where it builds alone: kustomize-exact.test.ts) says where.
    const broken = await validateDirectory(root, { catalog });
    const build = broken.findings.filter((f) => f.check === 'kustomize' && f.severity === 'error');
    expect(build.map((f) => `${f.file}: ${f.message}`)).toContain('infrastructure/postgres/controller/base/kustomization.yaml: resources: gone.yaml does not exist');
    // What follows from it: the overlays' patches find no HelmRelease to patch.
    expect(build.filter((f) => !f.message.includes('gone.yaml')).every((f) => f.message.includes('matches no object'))).toBe(true);
  });
});
