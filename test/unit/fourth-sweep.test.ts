/**
 * What the fourth sweep of public repositories showed validate (2026-12-07: operate-first/apps,
 * MinBZK/mijn-bureau-infra, RijksICTGilde/RIG-Cluster, ADORSYS-GIS/fineract-gitops, opencenter-cloud,
 * redhat-cop's gitops-standards-repo-template, vehagn/homelab): each false error's cause, checked against
 * upstream, as the smallest repository that shows it, with the true error next to it where there is one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateDirectory } from '../../lib/validate/directory.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { BUNDLED_SCHEMAS } from '../../lib/validate/schemas.js';

const ROOT = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
const check = async (entries: Record<string, string>) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries({ 'root.yaml': ROOT, ...entries })) files.add(p, t);
  return validateFiles(files);
};
/** The repository written to a scratch directory and validated there, as the bin does (kubectl builds included). */
const onDisk = async (entries: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), 'hp-fourth-'));
  try {
    for (const [p, t] of Object.entries({ 'root.yaml': ROOT, ...entries })) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), t);
    }
    return { root, report: await validateDirectory(root, { schemaLocations: [BUNDLED_SCHEMAS] }) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
const errors = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);

describe('the secret scan and text that holds no secret (MinBZK, opencenter, fineract, vehagn)', () => {
  it("a key's header in a comment without its body, AWS's documented example key and Grafana's $__env{} are no secret", async () => {
    const report = await check({
      'apps/grafana.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grafana-ini\n  namespace: argocd\ndata:\n  grafana.ini: |\n    [auth.generic_oauth]\n    client_secret: $__env{OIDC_CLIENT_SECRET}\n    token: $__file{/etc/secrets/token}\n',
      'apps/docs.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: docs\n  namespace: argocd\ndata:\n  example: "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE"\n',
      'chart/values.yaml': 'ingress:\n  ## -----BEGIN RSA PRIVATE KEY-----\n  ##       ...\n  ##       -----END RSA PRIVATE KEY-----\n  secrets: []\n',
    });
    expect(errors(report)).toEqual([]);
  });
  it('a key with its body, a real-looking AWS key ID and a literal client secret still are', async () => {
    const report = await check({
      'apps/grafana.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grafana-ini\n  namespace: argocd\ndata:\n  grafana.ini: |\n    client_secret: 8f3k2Jd9aQ\n',
      'apps/docs.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: docs\n  namespace: argocd\ndata:\n  example: "aws configure set aws_access_key_id AKIA2OGYBAH6QRSTUV5W"\n',
      'chart/values.yaml': 'tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIEowIBAAKCAQEAy8Dbv8prpJ/0kKhlGeJYozo2t60EG8L0561g13R29LvMR5hy\n',
    });
    expect(errors(report).sort()).toEqual([
      'apps/docs.yaml: line 7 holds an AWS access key ID',
      'apps/grafana.yaml: line 8: client_secret has a literal value; reference a Secret instead',
      'chart/values.yaml: line 3 holds a private key',
    ]);
  });
});

describe("argoproj.io kinds that are not Argo CD's (RIG-Cluster, redhat-cop: the argocd-operator's ArgoCD)", () => {
  it('an ArgoCD at v1beta1 is not judged by the Application versions; an Application at v1beta1 still is', async () => {
    const served = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.message.includes('is not served by')).map((f) => f.file);
    expect(served(await check({ 'apps/argocd.yaml': 'apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: argocd\n  namespace: argocd\nspec: {}\n' }))).toEqual([]);
    expect(served(await check({ 'apps/app.yaml': ROOT.replace('argoproj.io/v1alpha1', 'argoproj.io/v1beta1').replace('name: root', 'name: child').replace('path: apps', 'path: child') }))).toEqual(['apps/app.yaml']);
  });
});

describe('resource quantities written as numbers (operate-first: cpu: 1, limits.cpu: 32)', () => {
  const quota = (hard: string) => `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  hard:\n${hard}`;
  const deployment = (resources: string, labels = '        app: web\n') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n${labels}    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          resources:\n${resources}      volumes:\n        - name: scratch\n          emptyDir:\n            sizeLimit: 1\n`;
  it('are quantities as the API server reads them', async () => {
    const report = await check({
      'apps/quota.yaml': quota('    limits.cpu: 32\n    requests.cpu: 0.5\n    count/objectbucketclaims.objectbucket.io: 1\n'),
      'apps/deploy.yaml': deployment('            requests:\n              cpu: 1\n              memory: 64Mi\n            limits:\n              cpu: 2\n'),
    });
    expect(errors(report)).toEqual([]);
  });
  it('a boolean is not one, and a number stays no label value', async () => {
    const report = await check({
      'apps/deploy.yaml': deployment('            requests:\n              cpu: true\n', '        app: web\n        tier: 1\n'),
    });
    expect(errors(report).sort()).toEqual([
      'apps/deploy.yaml: /spec/template/metadata/labels/tier: must be string',
      'apps/deploy.yaml: /spec/template/spec/containers/0/resources/requests/cpu: must be string,number',
    ]);
  });
});

describe('names of kinds with their own rules, keys a controller fills, nulls the API server prunes (operate-first, RIG-Cluster)', () => {
  it("an OpenShift Group's and ImageStream's names are path segments: `_` is fine, `/` is not", async () => {
    const group = (name: string) => `apiVersion: user.openshift.io/v1\nkind: Group\nmetadata:\n  name: ${name}\nusers:\n  - alice\n`;
    expect(errors(await check({ 'apps/group.yaml': `${group('demolab_team')}---\napiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: label_sync\n  namespace: argocd\n` }))).toEqual([]);
    expect(errors(await check({ 'apps/group.yaml': group('demo/team') }))).toEqual([expect.stringMatching(/^apps\/group.yaml: "demo\/team" is not a valid Group name/)]);
    // A ConfigMap's name is still a DNS-1123 subdomain.
    expect(errors(await check({ 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: label_sync\n  namespace: argocd\n' }))).toEqual([expect.stringMatching(/"label_sync" is not a valid ConfigMap name/)]);
  });

  it("a service-account-token Secret has the token the controller writes into it; another key is still missing", async () => {
    const deploy = (key: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\n  namespace: argocd\nspec:\n  selector:\n    matchLabels:\n      app: dex\n  template:\n    metadata:\n      labels:\n        app: dex\n    spec:\n      containers:\n        - name: dex\n          image: dex:2.41.1\n          env:\n            - name: TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: dex-sa\n                  key: ${key}\n`;
    const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: dex\n  namespace: argocd\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: dex-sa\n  namespace: argocd\n  annotations:\n    kubernetes.io/service-account.name: dex\ntype: kubernetes.io/service-account-token\n';
    expect(errors(await check({ 'apps/sa.yaml': sa, 'apps/deploy.yaml': deploy('token') }))).toEqual([]);
    expect(errors(await check({ 'apps/sa.yaml': sa, 'apps/deploy.yaml': deploy('password') }))).toEqual([expect.stringContaining('password')]);
  });

  it('a field left empty (null) in a custom resource is pruned, as the API server does; a wrong type is not', async () => {
    const child = (kustomize: string) => ROOT.replace('name: root', 'name: child').replace('path: apps', `path: child\n    kustomize:${kustomize}`);
    const files = { 'apps/kustomization.yaml': 'resources:\n  - child.yaml\n', 'child/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: argocd\n' };
    expect(errors(await check({ ...files, 'apps/child.yaml': child('\n      # namePrefix: x-') }))).toEqual([]);
    expect(errors(await check({ ...files, 'apps/child.yaml': child(' enabled') }))).toEqual([expect.stringMatching(/\/spec\/source\/kustomize: must be object/)]);
  });
});

describe("an Application's source.directory beside a kustomization file (fineract)", () => {
  const child = (directory: string) =>
    ROOT.replace('name: root', 'name: child').replace('path: apps', `path: child${directory}`);
  const files = {
    'apps/kustomization.yaml': 'resources:\n  - child.yaml\n',
    'child/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cm.yaml\nnamespace: elsewhere\n',
    'child/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: argocd\n',
  };
  it('one that says nothing (recurse: false) is dropped by Argo CD: kustomize builds the directory', async () => {
    expect(errors(await check({ ...files, 'apps/child.yaml': child('\n    directory:\n      recurse: false') }))).toEqual(['child/cm.yaml: namespace elsewhere is never created on cluster .']);
  });
  it('one with an exclude makes it a plain directory: the kustomization file is applied as an object', async () => {
    const found = errors(await check({ ...files, 'apps/child.yaml': child("\n    directory:\n      exclude: 'other.yaml'") }));
    expect(found.filter((e) => e.includes('elsewhere'))).toEqual([]);
    expect(found.filter((e) => e.startsWith('child/kustomization.yaml: '))).toEqual([
      'child/kustomization.yaml: Argo CD reads child as a plain directory (the source\'s directory settings say so), so it applies this kustomization file as an object, which no cluster serves: the sync fails. Drop the source\'s directory settings to build it with kustomize, or exclude the file',
    ]);
  });
});

describe('plain Applications whose destinations are other clusters (operate-first: one Argo CD, many clusters)', () => {
  const app = (name: string, cluster: string, path = 'shared', extra = '') =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: ${path}\n  destination:\n    name: ${cluster}\n    namespace: team\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n${extra}`;
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n';
  it('each destination is a cluster of its own: the same objects on two clusters are no duplicates', async () => {
    const report = await check({ 'apps/shared-east.yaml': app('shared-east', 'east'), 'apps/shared-west.yaml': app('shared-west', 'west'), 'shared/cm.yaml': cm });
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name).sort()).toEqual(['.', 'east', 'west']);
  });
  it('two Applications that put the same object on one cluster still collide', async () => {
    const report = await check({ 'apps/a.yaml': app('shared-a', 'east'), 'apps/b.yaml': app('shared-b', 'east'), 'shared/cm.yaml': cm });
    expect(errors(report)).toEqual([expect.stringMatching(/ConfigMap team\/settings is also applied by/)]);
  });
  it("a cluster named by one Application and given by its server in another is one cluster, as its cluster Secret registers it", async () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: east\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\ntype: Opaque\nstringData:\n  name: east\n  server: https://east.example.com:6443\n  config: "{}"\n';
    const byServer = app('shared-b', 'east').replace('    name: east\n', '    server: https://east.example.com:6443/\n');
    const report = await check({ 'apps/east.yaml': secret, 'apps/a.yaml': app('shared-a', 'east'), 'apps/b.yaml': byServer, 'shared/cm.yaml': cm });
    expect(errors(report).filter((e) => !e.includes('plaintext'))).toEqual([expect.stringMatching(/ConfigMap team\/settings is also applied by/)]);
    expect(report.clusters.map((c) => c.name).sort()).toEqual(['.', 'east']);
    // Without the Secret, Argo CD cannot tell either: the server is a cluster of its own.
    const unregistered = await check({ 'apps/a.yaml': app('shared-a', 'east'), 'apps/b.yaml': byServer, 'shared/cm.yaml': cm });
    expect(unregistered.clusters.map((c) => c.name).sort()).toEqual(['.', 'east', 'https://east.example.com:6443']);
  });
});

describe("an AppProject's sources and destinations as Argo CD matches them (operate-first)", () => {
  const project = (sourceRepos: string, destinations: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos:\n${sourceRepos}  destinations:\n${destinations}`;
  const app = (repoURL: string, destination: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  project: team\n  source:\n    repoURL: ${repoURL}\n    targetRevision: HEAD\n    path: team\n  destination:\n${destination}  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n`;
  const team = { 'team/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n' };
  const run = (p: string, a: string) => check({ 'apps/project.yaml': p, 'apps/team.yaml': a, ...team });
  const refs = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.check === 'reference').map((f) => `${f.severity} ${f.message}`);

  it('URLs compared normalised, namespaces globbed, in-cluster known by name and server', async () => {
    const r = await run(project('    - https://github.com/Example/fleet\n', "    - server: https://kubernetes.default.svc\n      namespace: 'team-*-dev'\n"), app('https://github.com/example/fleet.git', '    name: in-cluster\n    namespace: team-a-dev\n'));
    expect(refs(r)).toEqual([]);
  });
  it('`*` in a source pattern stops at `/`, `**` does not; a denied source is refused', async () => {
    const dest = '    - server: https://kubernetes.default.svc\n      namespace: team\n';
    const to = '    server: https://kubernetes.default.svc\n    namespace: team\n';
    expect(refs(await run(project('    - https://github.com/example/*\n', dest), app('https://github.com/example/fleet.git', to)))).toEqual([]);
    expect(refs(await run(project('    - https://github.com/*\n', dest), app('https://github.com/example/fleet.git', to)))).toEqual(['error source https://github.com/example/fleet.git is not in the sourceRepos of project team']);
    expect(refs(await run(project('    - https://github.com/**\n', dest), app('https://github.com/example/fleet.git', to)))).toEqual([]);
    expect(refs(await run(project("    - '*'\n    - '!https://github.com/example/fleet'\n", dest), app('https://github.com/example/fleet.git', to)))).toEqual(['error source https://github.com/example/fleet.git is not in the sourceRepos of project team']);
  });
  it('a cluster named where the project allows servers: decided by its cluster Secret, else a warning', async () => {
    const p = project('    - https://github.com/example/fleet\n', '    - server: https://api.smaug.example.nl:6443\n      namespace: team\n');
    const a = app('https://github.com/example/fleet.git', '    name: smaug\n    namespace: team\n');
    expect(refs(await run(p, a))).toEqual([expect.stringMatching(/^warning destination smaug namespace team: project team allows clusters by server, and no cluster Secret here says this cluster's/)]);
    const secret = (server: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: smaug\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\ntype: Opaque\nstringData:\n  name: smaug\n  server: ${server}\n  config: ENC[AES256_GCM,data:abc]\n`;
    expect(refs(await check({ 'apps/project.yaml': p, 'apps/team.yaml': a, 'apps/smaug.yaml': secret('https://api.smaug.example.nl:6443'), ...team })).filter((f) => f.includes('smaug'))).toEqual([]);
    expect(refs(await check({ 'apps/project.yaml': p, 'apps/team.yaml': a, 'apps/smaug.yaml': secret('https://api.other.example.nl:6443'), ...team })).filter((f) => f.includes('destination'))).toEqual(['error destination smaug namespace team is not allowed by project team']);
  });
});

describe('a kustomization kustomize builds where the offline builder found a duplicate (operate-first: thanos store shards)', () => {
  it("kustomize's output stands, without the offline builder's error", async () => {
    const shard = (n: number) => `resources:\n  - ../base\npatches:\n  - target:\n      kind: Service\n      name: store-base\n    patch: |\n      - op: replace\n        path: /metadata/name\n        value: store-shard-${n}\n`;
    const { report } = await onDisk({
      'root.yaml': ROOT.replace('path: apps', 'path: store'),
      'store/kustomization.yaml': 'resources:\n  - shard-0\n  - shard-1\n',
      'store/base/kustomization.yaml': 'resources:\n  - service.yaml\n',
      'store/base/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: store-base\n  namespace: argocd\nspec:\n  ports:\n    - port: 10901\n',
      'store/shard-0/kustomization.yaml': shard(0),
      'store/shard-1/kustomization.yaml': shard(1),
    });
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([]);
    expect(report.kubectlBuilt.length).toBeGreaterThan(0);
  });
});

describe('namespaces OpenShift comes with, and Argo CD Applications that create namespaces for others (operate-first)', () => {
  const app = (name: string, ns: string, create: boolean) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: ${name}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${ns}\n${create ? '  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n' : ''}`;
  const cert = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-cert\n  namespace: openshift-config\n';
  it('openshift-* namespaces exist on a repository for OpenShift; elsewhere nothing creates them', async () => {
    const group = 'apiVersion: user.openshift.io/v1\nkind: Group\nmetadata:\n  name: admins\nusers:\n  - alice\n';
    expect(errors(await check({ 'apps/certs.yaml': app('certs', 'openshift-config', false), 'certs/cm.yaml': cert, 'apps/group.yaml': group }))).toEqual([]);
    expect(errors(await check({ 'apps/certs.yaml': app('certs', 'openshift-config', false), 'certs/cm.yaml': cert }))).toEqual(['certs/cm.yaml: namespace openshift-config is never created on cluster .']);
  });
});

describe("cluster-scoped kinds outside Kubernetes' own (operate-first: OpenShift Groups in an Application's destination namespace)", () => {
  const app = `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cluster-resources\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: cluster-scope\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: not-created\n`;
  it("are not put in the destination namespace: OpenShift's, and a CRD the repository declares cluster-scoped", async () => {
    const report = await check({
      'apps/cluster-resources.yaml': app,
      'cluster-scope/group.yaml': 'apiVersion: user.openshift.io/v1\nkind: Group\nmetadata:\n  name: admins\nusers:\n  - alice\n',
      'cluster-scope/scc.yaml': 'apiVersion: security.openshift.io/v1\nkind: SecurityContextConstraints\nmetadata:\n  name: restricted-v3\n',
      'cluster-scope/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.nl\nspec:\n  group: example.nl\n  names:\n    kind: Widget\n    plural: widgets\n  scope: Cluster\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          x-kubernetes-preserve-unknown-fields: true\n',
      'cluster-scope/widget.yaml': 'apiVersion: example.nl/v1\nkind: Widget\nmetadata:\n  name: w\n',
    });
    expect(errors(report).filter((e) => e.includes('not-created'))).toEqual([]);
    // A namespaced one still is, and its namespace is never created.
    const namespaced = await check({ 'apps/cluster-resources.yaml': app, 'cluster-scope/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n' });
    expect(errors(namespaced)).toEqual(['cluster-scope/cm.yaml: namespace not-created is never created on cluster .']);
  });
});

describe("kubectl's error, as a finding (fineract)", () => {
  it("says kustomize's error once, without its deprecation warnings, klog's timestamp or this machine's paths", async () => {
    const { root, report } = await onDisk({
      // commonLabels makes kustomize warn; the JSON 6902 patch file makes the offline builder hand it to kubectl.
      'apps/kustomization.yaml': 'commonLabels:\n  team: a\nresources:\n  - cm.yaml\n  - missing-service.yaml\npatches:\n  - path: patch.yaml\n    target:\n      kind: ConfigMap\n',
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: argocd\n',
      'apps/patch.yaml': '- op: add\n  path: /data\n  value: {a: b}\n',
    });
    const kubectl = report.findings.filter((f) => f.message.startsWith('kubectl kustomize failed'));
    expect(kubectl).toHaveLength(1);
    expect(kubectl[0].message).toMatch(/missing-service\.yaml/);
    expect(kubectl[0].message).not.toMatch(/Warning|commonLabels|run\.go|\d{2}:\d{2}:\d{2}\.\d+/);
    expect(kubectl[0].message).not.toContain(root);
    // The offline builder's own error for the same directory is not said again.
    expect(report.findings.filter((f) => f.severity === 'error' && f.message.includes('missing-service.yaml'))).toHaveLength(1);
  });
});

describe('template repositories (gitops-playground, kubefirst gitops-template)', () => {
  it('a FreeMarker template is not YAML until rendered: left out, with a note; a token in a name is filled in later', async () => {
    const template = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: c\n  namespace: argocd\n<#if config.enabled>\nspec:\n  project: ${config.project}\n</#if>\n';
    const report = await check({
      'templates/argocd/argocd.ftl.yaml': template,
      'apps/cluster.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: <WORKLOAD_CLUSTER_NAME>-settings\n  namespace: argocd\n',
    });
    expect(errors(report)).toEqual([]);
    expect(report.notes).toContainEqual('1 template file(s) a tool renders before use not checked as written (templates/argocd/argocd.ftl.yaml)');
    // One a cluster reads as it is (Argo CD's plain directory takes every .yaml) fails there: an error.
    expect(errors(await check({ 'apps/argocd.ftl.yaml': template }))).toContainEqual(expect.stringMatching(/^apps\/argocd\.ftl\.yaml: YAML/));
    // The secret scan reads templates too.
    expect(errors(await check({ 'templates/creds.tpl.yaml': 'aws_access_key_id: AKIA2OGYBAH6QRSTUV5W\n' }))).toEqual(['templates/creds.tpl.yaml: line 1 holds an AWS access key ID']);
    // A name that is simply wrong is still one.
    expect(errors(await check({ 'apps/cluster.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Cluster_Settings\n  namespace: argocd\n' }))).toEqual([expect.stringMatching(/"Cluster_Settings" is not a valid ConfigMap name/)]);
  });
});

describe('what the regression sweep found in the fixes above (konstructio, and reproducers)', () => {
  const app = (name: string, path: string, destination: string, extra = '') =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: ${path}\n  destination:\n${destination}${extra}`;
  const cm = (ns = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  a: b\n`;

  it('two Argo CD roots applied by hand that deploy to a cluster of one name: each Application is checked, and what both apply is a warning', async () => {
    const report = await check({
      'a/app.yaml': app('settings-a', 'cm', '    name: workload\n    namespace: default\n'),
      'b/app.yaml': app('settings-b', 'cm', '    name: workload\n    namespace: default\n'),
      'cm/cm.yaml': cm(),
    });
    expect(errors(report)).toEqual([]);
    expect(report.findings.filter((f) => f.message.includes('also applied by')).map((f) => f.severity)).toEqual(['warning']);
    // Same-named Applications of the two roots (kubefirst's alternatives): neither is dropped, so b's refused source is found.
    const project = 'apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: workload\n  namespace: argocd\nspec:\n  sourceRepos:\n    - https://charts.example.com\n  destinations:\n    - name: workload\n      namespace: \'*\'\n';
    const issuer = (repo: string) => `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: issuer\n  namespace: argocd\nspec:\n  project: workload\n  source:\n    repoURL: ${repo}\n    chart: issuer\n    targetRevision: 1.0.0\n  destination:\n    name: workload\n    namespace: cert-manager\n`;
    const two = await check({ 'a/project.yaml': project, 'a/app.yaml': issuer('https://charts.example.com'), 'b/project.yaml': project, 'b/app.yaml': issuer('ghcr.io/example/not-permitted') });
    expect(errors(two)).toEqual(['b/app.yaml: source ghcr.io/example/not-permitted is not in the sourceRepos of project workload']);
  });

  it('an automated sync without retry that uses a namespace another Application creates unordered is an error; with retry, or synced by hand, a warning', async () => {
    const creator = app('a', 'a', '    server: https://kubernetes.default.svc\n    namespace: shared\n', '  syncPolicy:\n    automated:\n      selfHeal: true\n    syncOptions:\n      - CreateNamespace=true\n');
    const files = (policy: string) => ({ 'apps/a.yaml': creator, 'apps/b.yaml': app('b', 'b', '    server: https://kubernetes.default.svc\n    namespace: shared\n', policy), 'a/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n', 'b/cm.yaml': cm() });
    const ordering = async (policy: string) => (await check(files(policy))).findings.filter((f) => f.message.includes('not ordered before')).map((f) => f.severity);
    expect(await ordering('  syncPolicy:\n    automated:\n      selfHeal: true\n')).toEqual(['error']);
    expect(await ordering('  syncPolicy:\n    automated:\n      selfHeal: true\n    retry:\n      limit: 5\n')).toEqual(['warning']);
    // limit 0, the default, retries nothing.
    expect(await ordering('  syncPolicy:\n    automated:\n      selfHeal: true\n    retry:\n      backoff:\n        duration: 5s\n')).toEqual(['error']);
    expect(await ordering('')).toEqual(['warning']);
  });

  it('what is applied by hand with a namespace an Application creates is an error: kubectl apply does not retry', async () => {
    const report = await check({
      'bootstrap/app.yaml': app('runner', 'runner', '    server: https://kubernetes.default.svc\n    namespace: runner\n', '  syncPolicy:\n    automated: {}\n    syncOptions:\n      - CreateNamespace=true\n'),
      'bootstrap/config.yaml': cm('runner'),
      'runner/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n',
    });
    expect(report.findings.filter((f) => f.message.includes('not ordered before')).map((f) => `${f.severity} ${f.message}`)).toEqual([expect.stringMatching(/^error namespace runner is created by runner, which is not ordered before argocd bootstrap/)]);
  });

  it('a cluster Secret that names the cluster Argo CD runs on makes that name local, not another cluster', async () => {
    const report = await check({
      'apps/cluster-secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: local\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\ntype: Opaque\nstringData:\n  name: local\n  server: https://kubernetes.default.svc\n',
      'apps/ns.yaml': app('namespaces', 'ns', '    server: https://kubernetes.default.svc\n').replace('  name: namespaces\n', '  name: namespaces\n  annotations:\n    argocd.argoproj.io/sync-wave: "-1"\n'),
      'apps/cm.yaml': app('settings', 'cm', '    name: local\n    namespace: team\n'),
      'ns/team.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n',
      'cm/cm.yaml': cm(),
    });
    expect(errors(report).filter((e) => !e.includes('plaintext'))).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['.']);
  });

  it('whether a destination is Argo CD\'s own cluster does not depend on the order of the files', async () => {
    const web = app('web', 'web', '    name: moc\n    namespace: web\n', '  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n');
    const children = app('children', 'children', '    name: moc\n    namespace: argocd\n');
    const files = { 'children/web.yaml': web.replace('name: web\n  namespace: argocd', 'name: web2\n  namespace: argocd'), 'web/cm.yaml': cm() };
    const first = await check({ ...files, 'apps/a-web.yaml': web, 'apps/b-children.yaml': children });
    const last = await check({ ...files, 'apps/z-web.yaml': web, 'apps/b-children.yaml': children });
    // Either way web and web2 both put the ConfigMap on Argo CD's own cluster: one duplicate, and one cluster.
    for (const report of [first, last]) {
      expect(errors(report)).toEqual([expect.stringMatching(/^web\/cm\.yaml: ConfigMap web\/settings is also applied by web2? \(web\/cm\.yaml\), not only by web2?$/)]);
      expect(report.clusters.map((c) => c.name)).toEqual(['.']);
    }
  });
});
