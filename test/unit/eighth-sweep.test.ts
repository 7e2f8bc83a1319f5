/**
 * What the eighth sweep of public repositories showed validate (2026-12-07: StatCan/aaw-argocd-manifests,
 * aws-samples/eks-multi-cluster-gitops, microsoft/multicluster-gitops, sulibot/home-ops and others): each
 * false error's cause in how clusters and their sources are found, checked against upstream, as the smallest
 * repository that shows it, with the true error beside it. (The secret scan's and SOPS' classes are in
 * eighth-sweep-secrets.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles, type ValidateOptions } from '../../lib/validate/repository.js';

const check = async (entries: Record<string, string>, options: ValidateOptions = {}) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries(entries)) files.add(p, t);
  return validateFiles(files, options);
};
type Report = Awaited<ReturnType<typeof check>>;
const errors = (r: Report) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const application = (name: string, repoURL: string, path: string) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  destination:\n    name: in-cluster\n    namespace: ${name}\n  source:\n    repoURL: ${repoURL}\n    path: ${path}\n    targetRevision: main\n    directory:\n      recurse: true\n`;
const configMap = (name: string, namespace: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  mode: standard\n`;

describe('an Argo CD source in another repository is not this one (StatCan/aaw-argocd-manifests)', () => {
  // gatekeeper's Application renders the whole of another repository (`path: .`); team-x/ is applied by nothing
  // here. argo-cd pkg/apis/application/v1alpha1/types.go: the repo-server renders `path` inside `repoURL`.
  const repo = {
    'gatekeeper/application.yaml': application('gatekeeper-constraints', 'https://github.com/example/gatekeeper-constraints.git', '.'),
    'team-x/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
    'team-x/configmap.yaml': configMap('settings', 'team-x'),
  };

  // What the Application applies where that repository is this one: its kustomization file as an object (plain
  // directory settings), and a namespace nothing creates.
  const OWN = [
    'team-x/configmap.yaml: namespace team-x is never created on cluster gatekeeper',
    "team-x/kustomization.yaml: Argo CD reads . as a plain directory (the source's directory settings say so), so it applies this kustomization file as an object, which no cluster serves: the sync fails. Drop the source's directory settings to build it with kustomize, or exclude the file",
  ];

  it('by the checkout\'s remote: another repository, whatever directories this one has', async () => {
    const report = await check(repo, { repositoryUrls: ['https://github.com/example/platform-manifests.git'] });
    expect(errors(report)).toEqual([]);
    // A mirror keeps the repository's name: its remote on another forge still reads this repository.
    const mirrored = await check({ ...repo, 'gatekeeper/application.yaml': application('gatekeeper-constraints', 'https://github.com/example/platform-manifests.git', '.') }, { repositoryUrls: ['https://gitlab.example.nl/mirror/platform-manifests.git'] });
    expect(errors(mirrored)).toEqual(OWN);
  });

  it('says so in a note; a URL that names no repository (a git daemon serving this checkout) is not told apart by name', async () => {
    const report = await check(repo, { repositoryUrls: ['https://github.com/example/platform-manifests.git'] });
    expect(report.notes).toContain("Argo CD source https://github.com/example/gatekeeper-constraints.git is taken for another repository (neither this checkout's remote (github.com/example/platform-manifests) nor a mirror of it): what it renders is not followed");
    // RIG-Cluster's local cluster: git://host.docker.internal:9090/ is `git daemon` serving this repository's root.
    const daemon = await check({ ...repo, 'gatekeeper/application.yaml': application('gatekeeper-constraints', 'git://host.docker.internal:9090/', '.') }, { repositoryUrls: ['https://github.com/example/platform-manifests.git'] });
    expect(errors(daemon)).toEqual(OWN);
  });

  it('without remotes (an export): beside a URL evidently this repository\'s, or by the checkout directory\'s name', async () => {
    const beside = await check({ ...repo, 'apps/application.yaml': application('apps', 'https://github.com/example/platform-manifests.git', 'team-x') });
    expect(errors(beside).filter((e) => e.startsWith('team-x/') && e.includes('gatekeeper'))).toEqual([]);
    expect(errors(await check(repo, { checkoutName: 'example+platform-manifests' }))).toEqual([]);
    // A checkout named after the repository the Application renders: that one, and what it applies is checked.
    expect(errors(await check(repo, { checkoutName: 'gatekeeper-constraints' }))).toEqual(OWN);
  });
});

const gitRepository = (url: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ${url}\n`;
const fluxKustomization = (name: string, path: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
/** flux bootstrap's files for a cluster in `dir` syncing `path`. */
const bootstrap = (dir: string, path: string, url = 'https://github.com/example/platform') => ({
  [`${dir}/flux-system/gotk-sync.yaml`]: `---\n${gitRepository(url)}---\n${fluxKustomization('flux-system', path)}`,
  [`${dir}/flux-system/kustomization.yaml`]: kustomization('resources:\n  - gotk-sync.yaml\n'),
});

describe('flux bootstrap\'s sync below the checkout\'s root (aws-samples/eks-multi-cluster-gitops)', () => {
  // repos/platform/ is copied into a repository of its own (its README says so): the sync's path
  // ./clusters/prod is that repository's, and so is ./apps. kustomize-controller
  // internal/controller/kustomization_controller.go: SecureJoin(artifact root, spec.path).
  it('resolves every path of the source from the directory the sync\'s own path is a tail of', async () => {
    const report = await check({
      ...bootstrap('repos/platform/clusters/prod', './clusters/prod'),
      'repos/platform/clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - apps.yaml\n'),
      'repos/platform/clusters/prod/apps.yaml': fluxKustomization('apps', './apps'),
      'repos/platform/apps/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
      'repos/platform/apps/configmap.yaml': configMap('settings', 'flux-system'),
    });
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).toContain('its source\'s root is taken to be repos/platform');
    // What is checked there is checked: a path that is in neither place is still an error.
    const missing = await check({
      ...bootstrap('repos/platform/clusters/prod', './clusters/prod'),
      'repos/platform/clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - apps.yaml\n'),
      'repos/platform/clusters/prod/apps.yaml': fluxKustomization('apps', './app'),
      'repos/platform/apps/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
      'repos/platform/apps/configmap.yaml': configMap('settings', 'flux-system'),
    });
    expect(errors(missing)).toEqual(['repos/platform/clusters/prod/apps.yaml: Kustomization apps: path ./app does not exist']);
  });
});

describe('template directories a script copies for each new cluster are no clusters (aws-samples, microsoft/multicluster-gitops)', () => {
  // bin/add-cluster.sh copies clusters-config/template/ and replaces cluster-name; utils/add-cluster.sh fills
  // {CLUSTER_NAME} in utils/templates/clusters/infra.yaml. Nothing applies either as written.
  const repo = {
    ...bootstrap('clusters/mgmt', './clusters/mgmt', 'https://github.com/example/fleet'),
    'bin/add-cluster.sh': '#!/bin/bash\ncp -R clusters-config/template/* clusters-config/$1\n',
    'clusters-config/template/kustomization.yaml': kustomization('resources:\n  - eks-cluster.yaml\n'),
    'clusters-config/template/eks-cluster.yaml': fluxKustomization('cluster-name-eks-cluster', './clusters-config/cluster-name/def'),
    'clusters-config/template/def/cluster.yaml': configMap('cluster-name-def', 'flux-system'),
    'utils/templates/clusters/infra.yaml': fluxKustomization('infrastructure', './infra/{CLUSTER_NAME}'),
    ...bootstrap('clusters/template', './clusters/cluster-name', 'https://github.com/example/fleet'),
    'clusters/template/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - tools.yaml\n'),
    'clusters/template/tools.yaml': fluxKustomization('tools', './tools/cluster-name'),
  };

  it('neither by flux bootstrap\'s files nor by a Kustomization in them; said in notes', async () => {
    const report = await check(repo);
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['mgmt']);
    const notes = report.notes.join('\n');
    expect(notes).toContain('clusters/template/flux-system/: flux bootstrap\'s files in template/, a template a script copies for each new cluster');
    expect(notes).toContain('clusters-config/template/eks-cluster.yaml: Flux Kustomization cluster-name-eks-cluster is in template/, a template a script copies and fills in');
  });

  it('what a cluster applies from a template directory is still checked', async () => {
    const report = await check({
      ...repo,
      'clusters/mgmt/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - ../../utils/templates/clusters/infra.yaml\n'),
    });
    expect(errors(report)).toEqual(['utils/templates/clusters/infra.yaml: Kustomization infrastructure: path ./infra/{CLUSTER_NAME} does not exist']);
  });
});

describe('a kustomization nothing applies is built only to learn what it takes in (sulibot/home-ops)', () => {
  // volsync/'s ks.yaml is left out by its own kustomization, and its kustomization lists files that are no
  // objects: kustomize-controller never builds a path no applied Kustomization names.
  const volsync = {
    ...bootstrap('clusters/prod', './clusters/prod'),
    'clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\n'),
    'apps/prometheus/volsync/ks.yaml': fluxKustomization('prometheus-volsync', './apps/prometheus/volsync'),
    'apps/prometheus/volsync/kustomization.yaml': kustomization('namespace: observability\nresources:\n  - replicationsource.yaml\n  - replicationdestination.yaml\n'),
    'apps/prometheus/volsync/replicationsource.yaml': '---\n# variables for a component, not an object\nAPP: prometheus\n',
    'apps/prometheus/volsync/replicationdestination.yaml': '---\nVOLSYNC_CAPACITY: 10Gi\n',
  };

  it('its build errors are not said while nothing applies it', async () => {
    const report = await check(volsync);
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).toContain('apps/prometheus/volsync/ks.yaml: Flux Kustomization prometheus-volsync is left out by apps/prometheus/volsync/kustomization.yaml');
  });

  it('and are, once a cluster applies it', async () => {
    const report = await check({ ...volsync, 'clusters/prod/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - ../../apps/prometheus/volsync\n') });
    expect(errors(report).some((e) => e.startsWith('apps/prometheus/volsync/') && e.includes('duplicate object in the build of apps/prometheus/volsync'))).toBe(true);
  });
});

describe('an ApplicationSet\'s templatePatch (mmalyska/home-ops)', () => {
  // argo-cd applicationset controllers/template: renderTemplatePatch renders templatePatch with the same
  // parameters, reads it as YAML and merges it over the rendered Application (StrategicMergePatch).
  const root = application('root', 'https://github.com/example/home-ops', 'cluster/appsets').replace('    directory:\n      recurse: true\n', '');
  const appset = (patch: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: ["missingkey=error"]\n  generators:\n    - list:\n        elements:\n          - name: demo\n            syncWave: "2"\n            labels:\n              team: a\n  template:\n    metadata:\n      name: '{{.name}}'\n    spec:\n      project: default\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: demo\n  templatePatch: |\n${patch.replace(/^/gm, '    ')}\n`;
  const patch = `{{- if hasKey . "syncWave" }}\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: "{{.syncWave}}"\n  labels:\n    {{- .labels | toYaml | nindent 4 }}\n{{- end }}\nspec:\n  source:\n    repoURL: https://github.com/example/home-ops\n    targetRevision: main\n  {{- if hasKey . "subfolder" }}\n    path: 'cluster/apps/{{.name}}/{{.subfolder}}'\n  {{- else }}\n    path: 'cluster/apps/{{.name}}'\n  {{- end }}`;

  it('is rendered (hasKey, toYaml, nindent) and merged, so the Applications it makes are followed', async () => {
    const report = await check({ 'cluster/bootstrap.yaml': root, 'cluster/appsets/appset.yaml': appset(patch), 'cluster/apps/demo/cm.yaml': configMap('demo', 'nowhere') });
    // What the generated Application applies is checked: its ConfigMap's namespace is created by nothing.
    expect(errors(report)).toEqual(['cluster/apps/demo/cm.yaml: namespace nowhere is never created on cluster cluster']);
    const ok = await check({ 'cluster/bootstrap.yaml': root, 'cluster/appsets/appset.yaml': appset(patch), 'cluster/apps/demo/cm.yaml': configMap('demo', 'demo'), 'cluster/apps/demo/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n' });
    expect(errors(ok)).toEqual([]);
  });

  it('one the validator cannot render leaves the Applications checked without it, with a warning (edgard/home-ops)', async () => {
    const set = appset(`{{- if has "x" (list "x") }}\nspec:\n  ignoreDifferences: []\n{{- end }}`).replace("      destination:\n", "      source:\n        repoURL: https://github.com/example/home-ops\n        targetRevision: main\n        path: 'cluster/apps/{{.name}}'\n      destination:\n");
    const report = await check({ 'cluster/bootstrap.yaml': root, 'cluster/appsets/appset.yaml': set, 'cluster/apps/demo/cm.yaml': configMap('demo', 'nowhere') });
    expect(errors(report)).toEqual(['cluster/apps/demo/cm.yaml: namespace nowhere is never created on cluster cluster']);
    expect(report.findings.map((f) => f.message)).toContain("ApplicationSet apps's templatePatch uses the function list, which the validator does not render: its Applications are checked without the patch");
  });

  it('a templatePatch that is no YAML once rendered is an error, as Argo CD makes no Application of it', async () => {
    const report = await check({ 'cluster/bootstrap.yaml': root, 'cluster/appsets/appset.yaml': appset('spec:\n  source: [unclosed'), 'cluster/apps/demo/cm.yaml': configMap('demo', 'demo') });
    expect(errors(report)).toEqual([expect.stringMatching(/^cluster\/appsets\/appset\.yaml: for .*templatePatch does not read as YAML once rendered/)]);
  });
});

describe('a tenant source naming this repository over https where the root uses ssh (phoban01/flux-mt-demo)', () => {
  it('is this repository: what it applies is checked', async () => {
    const tenant = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n---\n${gitRepository('https://github.com/example/flux-mt-demo').replace(/flux-system/g, 'team-a')}---\n${fluxKustomization('team-a', './tenants/team-a').replace(/flux-system/g, 'team-a')}`;
    const report = await check({
      ...bootstrap('clusters/kind', './clusters/kind', 'ssh://git@github.com/example/flux-mt-demo'),
      'clusters/kind/tenants/team-a.yaml': tenant,
      'tenants/team-a/cm.yaml': configMap('demo', 'team-b-does-not-exist'),
    });
    expect(errors(report)).toEqual(['tenants/team-a/cm.yaml: namespace team-b-does-not-exist is never created on cluster kind']);
  });
});

describe('an alias without its anchor (Biohazard kube/deploy/vm/jj/ks.yaml)', () => {
  it('is named as go-yaml does, not taken for a YAML bomb; a real bomb still is one', async () => {
    const report = await check({ ...bootstrap('clusters/prod', './clusters/prod'), 'clusters/prod/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: flux-system\ndata:\n  a: *missing\n' });
    expect(errors(report)).toEqual(["clusters/prod/cm.yaml: YAML: the alias *missing names no anchor before it (go-yaml: unknown anchor 'missing' referenced): kubectl and the controllers cannot read this document"]);
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...'bcdefg'.split('').map((l, i) => `${l}: &${l} [*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]},*${'abcdefg'[i]}]`)];
    const bomb = await check({ ...bootstrap('clusters/prod', './clusters/prod'), 'clusters/prod/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: flux-system\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n` });
    expect(errors(bomb).join('\n')).toContain('aliases expand past 1000 nodes (a YAML bomb?)');
  });
});

describe('a substituteFrom ConfigMap a README step makes (aws-samples initial-setup/README.md)', () => {
  const withSubstitution = (readme?: string) => ({
    ...bootstrap('clusters/mgmt', './clusters/mgmt'),
    'clusters/mgmt/kustomization.yaml': kustomization('resources:\n  - flux-system\n  - apps.yaml\n'),
    'clusters/mgmt/apps.yaml': `${fluxKustomization('apps', './apps')}  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-info\n`,
    'apps/kustomization.yaml': kustomization('resources:\n  - configmap.yaml\n'),
    'apps/configmap.yaml': configMap('settings-${CLUSTER_NAME}', 'flux-system'),
    ...(readme ? { 'README.md': readme } : {}),
  });

  it('is there: its variables are unknown, not missing', async () => {
    const report = await check(withSubstitution('4. Create a `ConfigMap` named `cluster-info`:\n\n```sh\nkubectl create configmap cluster-info -n flux-system \\\n  --from-literal=CLUSTER_NAME=mgmt\n```\n'));
    expect(errors(report)).toEqual([]);
  });

  it('without the step, Flux stops with "not found"', async () => {
    expect(errors(await check(withSubstitution()))).toEqual(['clusters/mgmt/apps.yaml: substituteFrom ConfigMap flux-system/cluster-info is not in the repository: Flux stops with "not found"']);
    // A dry run only writes a file.
    expect(errors(await check(withSubstitution('kubectl create configmap cluster-info --dry-run=client -o yaml > cm.yaml\n')))).toHaveLength(1);
  });
});

describe('a source URL with a token in it', () => {
  it('is said without the token', async () => {
    const report = await check(
      { 'gatekeeper/application.yaml': application('gatekeeper-constraints', 'https://ci:glpat-abcdef123456@gitlab.example.nl/policies.git', '.'), 'team-x/configmap.yaml': configMap('settings', 'team-x') },
      { repositoryUrls: ['https://gitlab.example.nl/platform.git'] },
    );
    expect(report.notes.join('\n')).toContain('Argo CD source https://gitlab.example.nl/policies.git is taken for another repository');
    expect(JSON.stringify(report)).not.toContain('glpat-abcdef123456');
  });
});
