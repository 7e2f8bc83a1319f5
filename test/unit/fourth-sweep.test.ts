/**
 * What the fourth sweep of public repositories showed validate (2026-12-07: operate-first/apps,
 * MinBZK/mijn-bureau-infra, RijksICTGilde/RIG-Cluster, ADORSYS-GIS/fineract-gitops, opencenter-cloud,
 * redhat-cop's gitops-standards-repo-template, vehagn/homelab): each false error's cause, checked against
 * upstream, as the smallest repository that shows it, with the true error next to it where there is one.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';

const ROOT = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
const check = async (entries: Record<string, string>) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries({ 'root.yaml': ROOT, ...entries })) files.add(p, t);
  return validateFiles(files);
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
    expect(found.some((e) => e.startsWith('child/kustomization.yaml: '))).toBe(true);
  });
});
