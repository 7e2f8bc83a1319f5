/**
 * Cluster discovery and the walk, on small repositories in memory: the rules that decide what a cluster
 * applies, each with the layout that needs it.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { buildKustomization } from '../../lib/validate/build.js';
import { matchPattern, parsePattern } from '../../lib/validate/sourceignore.js';
import { argoGlob } from '../../lib/validate/globs.js';
import { discoverClusters } from '../../lib/validate/topology.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { objectKey as objectKeyOf } from '../../lib/validate/build.js';

function files(entries: Record<string, string>): FileSet {
  const set = new FileSet();
  for (const [p, t] of Object.entries(entries)) set.add(p, t);
  return set;
}
const discover = (f: FileSet) => discoverClusters(f, (dir) => buildKustomization(f, dir));
const flux = (name: string, path: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
const app = (name: string, path: string, extra = '') =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.nl/apps.git\n    path: ${path}\n${extra}  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${name}\n`;
const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n`;

describe('cluster discovery', () => {
  it('finds nested cluster folders, bootstrapped or not, without merging them', () => {
    const t = discover(files({
      'clusters/lab/a/flux-system/gotk-components.yaml': '# placeholder\n',
      'clusters/lab/a/apps.yaml': flux('apps', './apps'),
      'clusters/lab/b/apps.yaml': flux('apps', './apps'),
      'apps/cm.yaml': CM('a'),
    }));
    expect(t.clusters.map((c) => `${c.name} ${c.root}`)).toEqual(['lab/a clusters/lab/a', 'lab/b clusters/lab/b']);
  });

  it('takes the outermost of Kustomizations nothing applies as the root, and what it applies with it', () => {
    const t = discover(files({
      'kubernetes/flux/cluster/ks.yaml': flux('cluster-apps', './kubernetes/apps'),
      'kubernetes/apps/default/echo/ks.yaml': flux('echo', './kubernetes/apps/default/echo/app'),
      'kubernetes/apps/default/echo/app/cm.yaml': CM('echo'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['kubernetes/flux/cluster']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['flux-system/cluster-apps', 'flux-system/echo']);
  });

  it('does not take a tenant sync of its own repository root (`path: ./`) for a cluster of this one', () => {
    const tenant = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: team\n  namespace: team\nspec:\n  interval: 1m\n  url: https://git.example.nl/team.git\n---\n${flux('team', './').replace('namespace: flux-system', 'namespace: team').replace('name: flux-system\n', 'name: team\n')}`;
    const t = discover(files({ 'clusters/prod/tenants.yaml': flux('tenants', './tenants'), 'tenants/team.yaml': tenant }));
    expect(t.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(t.notes.join('\n')).toMatch(/applies GitRepository team\/team, which is not this repository/);
  });

  it('takes an Argo CD root applied by hand together with the Applications its directory holds', () => {
    const t = discover(files({
      'argocd/root.yaml': app('root', 'argocd/apps', '    directory:\n      recurse: true\n'),
      'argocd/apps/team-a/web.yaml': app('web', 'apps/web'),
      'apps/web/cm.yaml': CM('web'),
    }));
    expect(t.clusters.map((c) => `${c.name} ${c.engine}`)).toEqual(['argocd argocd']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['root', 'web']);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
  });

  it('says a resource outside the repository leaves it', () => {
    const t = discover(files({ 'clusters/prod/apps.yaml': flux('apps', './apps'), 'apps/kustomization.yaml': 'resources:\n  - /etc/passwd\n  - ../../outside.yaml\n' }));
    expect(t.findings.map((f) => f.message)).toEqual([
      'resources: /etc/passwd leaves the repository: Flux and Argo CD build within their source, so it is never there',
      'resources: ../../outside.yaml leaves the repository: Flux and Argo CD build within their source, so it is never there',
    ]);
  });

  it('names a loop of Kustomizations that apply each other', () => {
    const t = discover(files({ 'clusters/prod/a.yaml': flux('a', './x'), 'x/b.yaml': flux('b', './y'), 'y/c.yaml': flux('c', './x') }));
    expect(t.findings.map((f) => `${f.file}: ${f.message}`)).toEqual(['x/b.yaml: Kustomizations apply each other in a loop on cluster prod: b → c → b']);
  });

  it('applies a Flux Kustomization\'s components to its build', () => {
    const t = discover(files({
      'clusters/prod/apps.yaml': flux('apps', './apps', '  components:\n    - ../components/extra\n'),
      'apps/cm.yaml': CM('base'),
      'components/extra/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - cm.yaml\n',
      'components/extra/cm.yaml': CM('extra'),
    }));
    expect(t.clusters[0].placed.map((p) => p.object.metadata?.name).sort()).toEqual(['apps', 'base', 'extra']);
  });
});

describe("Argo CD's include/exclude globs", () => {
  it.each([
    ['*.yaml', 'a.yaml', true], ['*.yaml', 'sub/a.yaml', true], ['**/*.yaml', 'a.yaml', false], ['**/*.yaml', 'sub/a.yaml', true],
    ['{a,b}.yaml', 'b.yaml', true], ['{a,b}.yaml', 'c.yaml', false], ['[!x]?.y*', 'ab.yml', true], ['[z-a].yaml', 'a.yaml', false],
    // AppProject fields use the same match: a pattern made to backtrack is linear here.
    [`${'*a'.repeat(25)}*b`, 'a'.repeat(2000), false], [`${'*a'.repeat(25)}*b`, `${'a'.repeat(2000)}b`, true],
  ] as const)('%s on %s is %s', (glob, path, expected) => {
    expect(argoGlob(glob)(path)).toBe(expected);
  });
});

describe("what source-controller leaves out of the artifact (.sourceignore)", () => {
  // A build with no kustomization.yaml takes every .yaml below its path: what the artifact leaves out is not there.
  const repo = (extra: Record<string, string>) => files({ 'clusters/prod/apps.yaml': flux('apps', './apps'), 'apps/cm.yaml': CM('a'), ...extra });
  const NOT_AN_OBJECT = 'name: some tool config\nsteps: []\n';
  const complaints = (t: ReturnType<typeof discover>) => t.findings.filter((f) => f.message.includes('is not a Kubernetes object')).map((f) => f.file);

  it('by default: CI configuration is left out, anything else is built', () => {
    const t = discover(repo({ 'apps/.github/workflows/ci.yaml': NOT_AN_OBJECT, 'apps/tool.yaml': NOT_AN_OBJECT }));
    expect(complaints(t)).toEqual(['apps/tool.yaml']);
  });

  it("a .sourceignore's patterns apply below its own directory, at any depth where they have no slash", () => {
    const t = discover(repo({
      'apps/.sourceignore': '# tools\ntool.yaml\n/top/\n',
      'apps/tool.yaml': NOT_AN_OBJECT,
      'apps/deep/tool.yaml': NOT_AN_OBJECT,
      'apps/top/x.yaml': NOT_AN_OBJECT,
      'apps/deep/top/x.yaml': NOT_AN_OBJECT,
    }));
    expect(complaints(t)).toEqual(['apps/deep/top/x.yaml']);
  });

  it('a repository with patterns of its own loses the default exclusions (CI configuration is in the artifact again)', () => {
    const t = discover(repo({ '.sourceignore': 'docs/\n', 'apps/.github/workflows/ci.yaml': NOT_AN_OBJECT }));
    expect(complaints(t)).toEqual(['apps/.github/workflows/ci.yaml']);
  });

  it('a later pattern wins, the root file before those of subdirectories', () => {
    const t = discover(repo({
      '.sourceignore': 'apps/*.yaml\n!apps/k*.yaml\n',
      'apps/.sourceignore': 'keep.yaml\n',
      'apps/other.yaml': NOT_AN_OBJECT,
      'apps/kept.yaml': NOT_AN_OBJECT,
      'apps/keep.yaml': NOT_AN_OBJECT,
    }));
    expect(complaints(t)).toEqual(['apps/kept.yaml']);
  });

  it("a GitRepository's spec.ignore is said not to be applied", () => {
    const git = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://git.example.nl/platform.git\n  ignore: |\n    /docs/\n';
    const t = discover(repo({ 'clusters/prod/source.yaml': git }));
    expect(t.notes).toContain('clusters/prod/source.yaml: GitRepository GitRepository flux-system/flux-system sets spec.ignore, which is not applied offline (the repository\'s .sourceignore files are): files it leaves out are still checked');
  });
});

describe('a .sourceignore pattern as go-git (and so source-controller) matches it', () => {
  const m = (line: string, domain: string, path: string) => {
    const p = parsePattern(line, domain === '' ? [] : domain.split('/'));
    return p && matchPattern(p, path.split('/'), false);
  };
  it.each([
    ['tool.yaml', 'apps', 'apps/x/tool.yaml', 'exclude'],
    ['tool.yaml', 'apps', 'other/tool.yaml', undefined],
    ['/top/', 'apps', 'apps/top/a.yaml', 'exclude'],
    ['/top/', 'apps', 'apps/x/top/a.yaml', undefined],
    ['x/y.yaml', 'a/b', 'a/b/x/y.yaml', 'exclude'],
    ['!keep.yaml', 'apps', 'apps/deep/keep.yaml', 'include'],
    ['docs/', '', 'docs/a/b.yaml', 'exclude'],
    ['docs/', '', 'docs', undefined],
    ['trailing.yaml   ', '', 'trailing.yaml', 'exclude'],
    ['/*', '', 'kubernetes/clusters/a.yaml', 'exclude'],
    ['!/kubernetes', '', 'kubernetes/clusters/a.yaml', 'include'],
    ['/kubernetes/clusters/**/secrets/', '', 'kubernetes/clusters/c0/secrets/cm.yaml', 'exclude'],
    ['!/kubernetes/clusters/**/secrets/cm.yaml', '', 'kubernetes/clusters/c0/secrets/cm.yaml', 'include'],
    ['**/.sops.yaml', '', 'a/b/.sops.yaml', 'exclude'],
    ['# a comment', 'apps', 'apps/# a comment', null],
    ['   ', 'apps', 'apps/x', null],
  ])('%j in %j on %j → %j', (line, dir, path, expected) => {
    if (expected === null) expect(parsePattern(line, [dir])).toBeUndefined();
    else expect(m(line, dir, path)).toBe(expected);
  });

  it('brings a file back below an excluded directory, as the archive walk descends into it (xunholy/k8s-gitops)', () => {
    const t = discover(files({
      'clusters/prod/apps.yaml': flux('apps', './apps'),
      'apps/cm.yaml': CM('a'),
      '.sourceignore': '/*\n!/clusters\n!/apps\n/clusters/**/secrets/\n!/clusters/**/secrets/cluster-config.yaml\n',
      'clusters/prod/secrets/cluster-config.yaml': CM('cluster-config'),
      'clusters/prod/secrets/other.yaml': CM('other'),
    }));
    expect(t.applied.has('clusters/prod/secrets/cluster-config.yaml')).toBe(true);
    expect(t.applied.has('clusters/prod/secrets/other.yaml')).toBe(false);
  });
});

describe('a Flux Kustomization its directory leaves out', () => {
  it('is no cluster of its own: its kustomization file (which Flux builds) does not take it in', () => {
    const t = discover(files({
      'clusters/prod/apps.yaml': flux('apps', './apps'),
      'apps/kustomization.yaml': 'resources:\n  - ./web.yaml\n  # - ./grafana.yaml\n',
      'apps/web.yaml': flux('web', './web'),
      'apps/grafana.yaml': flux('grafana', './grafana'),
      'web/cm.yaml': CM('web'),
      'grafana/cm.yaml': CM('grafana'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['prod']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['flux-system/apps', 'flux-system/web']);
    expect(t.notes).toContain('apps/grafana.yaml: Flux Kustomization grafana is left out by apps/kustomization.yaml, so nothing applies it: not checked');
    expect(t.applied.has('grafana/cm.yaml')).toBe(false);
  });
});

describe('layouts of public repositories (2026-12-07 sweep: mitchross/talos-argocd-proxmox, ricsanfre/pi-cluster, fluxcd/flux2-hub-spoke-example)', () => {
  const project = `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: my-apps\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n  destinations:\n    - server: '*'\n      namespace: '*'\n`;
  const errors = (t: ReturnType<typeof discover>) => t.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
  /** argocd/ installs Argo CD (its kustomization leaves root.yaml out); root.yaml is applied by hand and syncs argocd/apps, which holds `apps`. */
  const bootstrapLayout = (apps: Record<string, string>) =>
    files({
      'argocd/kustomization.yaml': 'resources:\n  - ns.yaml\n',
      'argocd/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd\n',
      'argocd/root.yaml': app('root', 'argocd/apps'),
      'argocd/apps/kustomization.yaml': `resources:\n  - projects.yaml\n${Object.keys(apps).map((a) => `  - ${a}\n`).join('')}`,
      'argocd/apps/projects.yaml': project,
      ...Object.fromEntries(Object.entries(apps).map(([path, text]) => [`argocd/apps/${path}`, text])),
      'apps/web/cm.yaml': CM('web'),
    });

  it('an Argo CD root applied by hand beside a kustomization that leaves it out (kubectl apply -f root.yaml) is applied, with the projects its path holds', async () => {
    const f = bootstrapLayout({ 'web.yaml': app('web', 'apps/web').replace('project: default', 'project: my-apps') });
    const t = discover(f);
    expect(t.clusters.map((c) => c.name)).toEqual(['argocd']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['root', 'web']);
    expect(t.applied.has('apps/web/cm.yaml')).toBe(true);
    const report = await validateFiles(f);
    expect(report.findings.filter((x) => x.severity === 'error' && x.check === 'reference').map((x) => x.message)).toEqual([]);
  });

  it('the root applied by hand is found first even where an Application it applies manages the root\'s directory (whose kustomization leaves the root out)', async () => {
    const f = bootstrapLayout({
      'bootstrap/argocd.yaml': app('argocd', 'argocd').replace('project: default', 'project: my-apps'),
      'appsets/web.yaml': app('web', 'apps/web').replace('project: default', 'project: my-apps'),
    });
    const t = discover(f);
    expect(t.clusters.map((c) => c.name)).toEqual(['argocd']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['argocd', 'root', 'web']);
    const report = await validateFiles(f);
    expect(report.findings.filter((x) => x.severity === 'error' && x.check === 'reference').map((x) => x.message)).toEqual([]);
  });

  it('an Application whose path holds its file manages itself only where that path\'s kustomization takes the file in', () => {
    const t = discover(files({
      'bootstrap/root.yaml': app('root', 'argocd/apps'),
      'argocd/kustomization.yaml': 'resources:\n  - ns.yaml\n',
      'argocd/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd\n',
      'argocd/apps/kustomization.yaml': 'resources:\n  - projects.yaml\n  - argocd.yaml\n',
      'argocd/apps/projects.yaml': project,
      'argocd/apps/argocd.yaml': app('argocd', 'argocd').replace('project: default', 'project: my-apps'),
    }));
    expect(t.clusters.map((c) => `${c.name}: ${c.how}`)).toEqual(['bootstrap: Argo CD objects in bootstrap nothing applies (applied by hand)']);
    expect(errors(t)).toEqual([]);
  });

  it('Flux Kustomizations under kubernetes/clusters/<name>/ with no sync file are one cluster, the whole folder applied', () => {
    const t = discover(files({
      'kubernetes/clusters/prod/config/kustomization.yaml': 'resources:\n  - cluster-settings.yaml\n',
      'kubernetes/clusters/prod/config/cluster-settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  DOMAIN: example.nl\n',
      'kubernetes/clusters/prod/infra/kustomization.yaml': 'resources:\n  - db.yaml\n',
      'kubernetes/clusters/prod/infra/db.yaml': flux('db', './kubernetes/platform/db', '  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n'),
      'kubernetes/clusters/prod/apps/kustomization.yaml': 'resources:\n  - shop.yaml\n',
      'kubernetes/clusters/prod/apps/shop.yaml': flux('shop', './kubernetes/apps/shop', '  dependsOn:\n    - name: db\n'),
      'kubernetes/platform/db/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\n  namespace: default\ndata:\n  host: db.${DOMAIN}\n',
      'kubernetes/apps/shop/cm.yaml': CM('shop'),
    }));
    expect(t.clusters.map((c) => `${c.name} ${c.root}`)).toEqual(['kubernetes/clusters/prod kubernetes/clusters/prod']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['flux-system/db', 'flux-system/shop']);
    expect(errors(t)).toEqual([]);
    expect(t.clusters[0].placed.find((p) => p.object.kind === 'ConfigMap' && p.object.metadata?.name === 'db')?.object.data).toEqual({ host: 'db.example.nl' });
  });

  it('Flux Kustomizations and HelmReleases with spec.kubeConfig apply to the cluster it reaches, one per kubeConfig, ordered by the hub\'s dependsOn', async () => {
    const spoke = (env: string) => [
      flux('tenants', `./deploy/${env}/tenants`, '  kubeConfig:\n    secretRef:\n      name: cluster-kubeconfig\n').replace('namespace: flux-system', `namespace: ${env}`).replace('name: flux-system\n', 'name: flux-system\n    namespace: flux-system\n'),
      flux('infra', './deploy/infra', '  dependsOn:\n    - name: tenants\n  targetNamespace: ' + env + '\n  patches:\n    - target:\n        kind: HelmRelease\n      patch: |\n        - op: add\n          path: /spec/kubeConfig\n          value:\n            secretRef:\n              name: cluster-kubeconfig\n').replace('namespace: flux-system', `namespace: ${env}`).replace('name: flux-system\n', 'name: flux-system\n    namespace: flux-system\n'),
    ].join('---\n');
    const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
    const f = files({
      'hub/flux-system/gotk-sync.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://git.example.nl/fleet.git\n  ref:\n    branch: main\n---\n${flux('flux-system', './hub')}`,
      'hub/flux-system/kustomization.yaml': 'resources:\n  - gotk-sync.yaml\n',
      'hub/staging.yaml': `${ns('staging')}---\n${spoke('staging')}`,
      'hub/production.yaml': `${ns('production')}---\n${spoke('production')}`,
      'deploy/staging/tenants/ns.yaml': ns('cert-manager'),
      'deploy/production/tenants/ns.yaml': ns('cert-manager'),
      'deploy/infra/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cert-manager\nspec:\n  interval: 1h\n  targetNamespace: cert-manager\n  chart:\n    spec:\n      chart: cert-manager\n      version: v1.21.1\n      sourceRef:\n        kind: HelmRepository\n        name: jetstack\n',
    });
    const t = discover(f);
    expect(t.clusters.map((c) => c.name).sort()).toEqual(['hub', 'hub→production/cluster-kubeconfig', 'hub→staging/cluster-kubeconfig']);
    const staging = t.clusters.find((c) => c.name === 'hub→staging/cluster-kubeconfig')!;
    expect(staging.placed.map((p) => `${p.object.kind}/${p.object.metadata?.name}`)).toEqual(['Namespace/cert-manager']);
    expect(staging.releases?.map((p) => objectKeyOf(p.object))).toEqual(['HelmRelease staging/cert-manager']);
    const report = await validateFiles(f);
    expect(report.findings.filter((x) => x.check === 'reference' && x.severity === 'error' && !/HelmRepository|jetstack/.test(x.message)).map((x) => `${x.file}: ${x.message}`)).toEqual([]);
  });
});

describe('a Flux Kustomization in a kustomize Component (budimanjojo/home-cluster)', () => {
  const component = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./ks.yaml\n';
  it('is applied by the Kustomizations that include the Component, never built on its own', () => {
    const t = discover(files({
      'clusters/c1/apps.yaml': flux('apps', './apps'),
      'apps/web/ks.yaml': flux('web', './apps/web/app', '  components:\n    - ../../../components/db\n'),
      'apps/web/app/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'apps/web/app/cm.yaml': CM('web'),
      'components/db/kustomization.yaml': component,
      'components/db/ks.yaml': flux('web-db', './components/db/base'),
      'components/db/base/cm.yaml': CM('db'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['c1']);
    expect(t.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['flux-system/apps', 'flux-system/web', 'flux-system/web-db']);
  });

  it('is said, not made a cluster, when nothing includes the Component', () => {
    const t = discover(files({ 'clusters/c1/apps.yaml': flux('apps', './apps'), 'apps/cm.yaml': CM('a'), 'components/db/kustomization.yaml': component, 'components/db/ks.yaml': flux('db', './components/db/base'), 'components/db/base/cm.yaml': CM('db') }));
    expect(t.clusters.map((c) => c.name)).toEqual(['c1']);
    expect(t.notes).toContain('components/db/ks.yaml: Flux Kustomization db is in the kustomize Component components/db, which nothing includes: not checked');
  });
});

describe('layouts of public repositories (2026-12-07, second sweep: xunholy/k8s-gitops, haraldkoch/kochhaus-home, toboshii/home-ops)', () => {
  const errors = (t: ReturnType<typeof discover>) => t.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);

  it('a Flux Kustomization below a directory whose kustomization (applied by a cluster) leaves it out, or in a hidden directory, is no cluster', () => {
    const t = discover(files({
      'clusters/prod/apps.yaml': flux('apps', './apps'),
      'apps/team/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'apps/team/cm.yaml': CM('team'),
      'apps/team/sub/ks.yaml': flux('sub', './apps/team/sub/app'),
      'apps/team/sub/app/cm.yaml': CM('sub'),
      '.archive/old/ks.yaml': flux('old', './old'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(t.notes).toEqual(expect.arrayContaining([
      'apps/team/sub/ks.yaml: Flux Kustomization sub is left out by apps/team/kustomization.yaml, so nothing applies it: not checked',
      '.archive/old/ks.yaml: Flux Kustomization old is in a hidden directory, so nothing applies it: not checked',
    ]));
  });

  it('a directory whose own kustomization takes the Kustomization in, but which an applied kustomization above leaves out, is no cluster either; nor is a source the repository declares (another repository) a root source', () => {
    const t = discover(files({
      'clusters/prod/crds.yaml': flux('crds', './crds'),
      'crds/kustomization.yaml': 'resources:\n  - cert-manager\n  # - external-dns\n',
      'crds/cert-manager/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'crds/cert-manager/cm.yaml': CM('cert-manager'),
      'crds/external-dns/kustomization.yaml': 'resources:\n  - crds.yaml\n',
      'crds/external-dns/crds.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: external-dns-source\n  namespace: flux-system\nspec:\n  interval: 30m\n  url: https://github.com/kubernetes-sigs/external-dns.git\n---\n${flux('external-dns-crds', './').replace('name: flux-system\n', 'name: external-dns-source\n')}`,
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(t.notes).toContain('crds/external-dns/crds.yaml: Flux Kustomization external-dns-crds is left out by crds/kustomization.yaml, so nothing applies it: not checked');
  });

  it('a kustomization above a cluster root that no cluster applies does not hide the root', () => {
    const t = discover(files({
      'kubernetes/flux/kustomization.yaml': 'resources:\n  - meta.yaml\n',
      'kubernetes/flux/meta.yaml': CM('meta'),
      'kubernetes/flux/cluster/ks.yaml': flux('cluster-apps', './kubernetes/apps'),
      'kubernetes/apps/cm.yaml': CM('app'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['kubernetes/flux/cluster']);
  });

  it('with no sync object, the root source is the one the outermost Kustomization reads (an OCIRepository a Flux Operator instance syncs)', () => {
    const t = discover(files({
      'clusters/prod/apps.yaml': flux('apps', './apps').replace('kind: GitRepository', 'kind: OCIRepository'),
      'apps/kustomization.yaml': 'resources:\n  - demo/ks.yaml\n',
      'apps/demo/ks.yaml': flux('demo', './apps/demo/app').replace('kind: GitRepository', 'kind: OCIRepository'),
      'apps/demo/app/cm.yaml': CM('demo'),
    }));
    expect(t.clusters.map((c) => c.name)).toEqual(['prod']);
    expect([...t.clusters[0].units.keys()].sort()).toEqual(['flux-system/apps', 'flux-system/demo']);
    expect(t.applied.has('apps/demo/app/cm.yaml')).toBe(true);
    expect(errors(t)).toEqual([]);
  });

  it('a variable that may come from a Secret not in the repository is left as written, not emptied', () => {
    const t = discover(files({
      'clusters/prod/app.yaml': flux('app', './app', '  postBuild:\n    substitute:\n      CLUSTER: prod\n    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n'),
      'app/cm.yaml': `${CM('lan')}data:\n  cidr: \${HOMELAN_IPV4}\n  cluster: \${CLUSTER}\n`,
    }));
    expect(t.clusters[0].placed.find((p) => p.object.metadata?.name === 'lan')?.object.data).toEqual({ cidr: '${HOMELAN_IPV4}', cluster: 'prod' });
    expect(errors(t)).toEqual([]);
  });
});
