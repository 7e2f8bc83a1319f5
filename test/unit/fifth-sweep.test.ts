/**
 * What the fifth sweep of public repositories showed validate (2026-12-07: giantswarm/gitops-template,
 * wahooli/gitops-repo, tvories/k8s-gitops, geoffdavis/talos-gitops, allenporter/k8s-gitops,
 * JamesAtIntegratnIO/gitops_homelab_2_0, cterence/homelab-gitops, and six more): each false error's
 * cause, checked against upstream, as the smallest repository that shows it, with the true error next to
 * it where there is one.
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { validateFiles } from '../../lib/validate/repository.js';

const SYNC =
  'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/org/repo.git\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/prod\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const APPS =
  'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
const check = async (entries: Record<string, string>, base: Record<string, string> = { 'clusters/prod/flux-system/gotk-sync.yaml': SYNC, 'clusters/prod/apps.yaml': APPS }) => {
  const files = new FileSet();
  for (const [p, t] of Object.entries({ ...base, ...entries })) files.add(p, t);
  return validateFiles(files);
};
const errors = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
const secret = (name: string, data: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: default\ntype: Opaque\n${data}`;

describe('the secret scan: references, public keys, empty values, key names and placeholder tokens (wahooli, allenporter, geoffdavis, JamesAtIntegratnIO)', () => {
  it('none of them is a secret', async () => {
    const report = await check({
      'apps/token.yaml': secret('cloudflare', 'stringData:\n  api-token: ${cloudflare_api_token}\n'),
      'apps/ssh.yaml': secret('ssh-public-keys', 'stringData:\n  authorized_keys: |\n    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMgapzKxl5psYtNtqE5E7gJt6WC6677ClsT4S9fsx3Lk user@example.org\n    # a second one\n    no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops@example.org\n'),
      'apps/ca.yaml': secret('ca', `data:\n  ca.crt: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n').toString('base64')}\n`),
      'apps/values.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: default\ndata:\n  values.yaml: |\n    oidc:\n      clientSecret: "" # filled from an environment variable\n    externalSecrets:\n      tokenSecretName: "authentik-admin-token"\n      tokenSecretKey: "token"\n',
      'docs/setup.md': '# Setup\n\n    # ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n    aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\n',
    });
    expect(errors(report)).toEqual([]);
  });
  it('a value beside them, a private key with its certificate, a literal with a comment after it and a real-looking token still are', async () => {
    const report = await check({
      'apps/token.yaml': secret('cloudflare', 'stringData:\n  api-token: ${cloudflare_api_token}\n  other: s3cr3t-Value-9\n'),
      'apps/tls.yaml': secret('tls', 'stringData:\n  tls.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIU\n    -----END CERTIFICATE-----\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n    -----END PRIVATE KEY-----\n'),
      'apps/values.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  namespace: default\ndata:\n  values.yaml: |\n    oidc:\n      clientSecret: "d8Fk2mQ9zX" # the real one\n',
      'docs/setup.md': '# Setup\n\n    # ghp_4kP9qR2sT7vW1xY3zA5bC8dE0fG6hJ9kL2mN\n',
    });
    expect(errors(report).sort()).toEqual([
      'apps/tls.yaml: Secret holds plaintext values (tls.key): encrypt it (SOPS) or seal it',
      'apps/tls.yaml: line 13 holds a private key',
      'apps/token.yaml: Secret holds plaintext values (other): encrypt it (SOPS) or seal it',
      'apps/values.yaml: line 9: clientSecret has a literal value; reference a Secret instead',
      'docs/setup.md: line 3 holds a GitHub token',
    ]);
  });
});

describe('Flux files no cluster applies: kept aside, templates and fragments (tvories, wahooli)', () => {
  const ARCHIVED_SYNC = SYNC.replace('./clusters/prod', './cluster/base');
  it("flux bootstrap's files under archive/, a sync whose source URL a script fills in, and a Kustomization without sourceRef are no clusters", async () => {
    const report = await check({
      'archive/cluster/base/flux-system/gotk-sync.yaml': ARCHIVED_SYNC,
      'archive/cluster/base/flux-system/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n',
      'archive/cluster/base/apps.yaml': APPS.replace('./apps', './cluster/apps'),
      'tmpl/gotk-sync.yaml': ARCHIVED_SYNC.replace('https://example.com/org/repo.git', '${BOOTSTRAP_GITHUB_REPOSITORY}'),
      'local-clusters/prod/patches/apps/ssl.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  patches:\n    - patch: |\n        - op: remove\n          path: /metadata/annotations\n      target:\n        kind: Ingress\n',
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: b\n',
    });
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(report.notes.join('\n')).toContain('tmpl/gotk-sync.yaml: Flux Kustomization flux-system is a template (its source\'s URL "${BOOTSTRAP_GITHUB_REPOSITORY}" is filled in elsewhere)');
    expect(report.notes.join('\n')).toContain('local-clusters/prod/patches/apps/ssl.yaml: Flux Kustomization apps has no sourceRef (a fragment another Kustomization takes in)');
  });
  it('the same sync outside archive/ is a cluster', async () => {
    const report = await check({ 'old-layout/cluster/base/flux-system/gotk-sync.yaml': ARCHIVED_SYNC });
    expect(report.clusters.map((c) => c.name).sort()).toEqual(['old-layout/cluster/base', 'prod']);
  });
});

describe('a root Kustomization applied by hand that syncs its own directory (giantswarm: kubectl apply -f management-clusters/MC/MC.yaml)', () => {
  const root = (source: string) =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: mc-gitops\n  namespace: default\nspec:\n  decryption:\n    provider: sops\n    secretRef:\n      name: sops-gpg-master\n  interval: 1m0s\n  path: ./management-clusters/mc\n  prune: false\n  sourceRef:\n    kind: GitRepository\n    name: ${source}\n`;
  const sops = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\n  namespace: default\nstringData:\n  token: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]\n  version: 3.10.2\n';
  const tree = (source: string) => ({ 'management-clusters/mc/mc.yaml': root(source), 'management-clusters/mc/apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: b\n', 'management-clusters/mc/secrets/app.enc.yaml': sops });
  it('is the root, with its own decryption: nothing is applied twice or without it', async () => {
    const report = await check(tree('gitops-repo'), {});
    expect(errors(report)).toEqual([]);
    expect(report.clusters.map((c) => c.name)).toEqual(['management-clusters/mc']);
  });
  it('without decryption its SOPS file is still an error', async () => {
    const plain = tree('gitops-repo');
    plain['management-clusters/mc/mc.yaml'] = plain['management-clusters/mc/mc.yaml'].replace(/  decryption:\n(    .*\n)+/, '');
    expect(errors(await check(plain, {}))).toEqual([expect.stringMatching(/app\.enc\.yaml: .*is SOPS-encrypted, but .*mc-gitops applies it without spec\.decryption/)]);
  });
});

describe("namespaces an operator makes (giantswarm: organization-operator's org-<name>)", () => {
  const org = 'apiVersion: security.giantswarm.io/v1alpha1\nkind: Organization\nmetadata:\n  name: acme\nspec: {}\n';
  const cm = (ns: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-values\n  namespace: ${ns}\ndata:\n  a: b\n`;
  it('an Organization makes org-<name>; another namespace is still never created', async () => {
    expect(errors(await check({ 'apps/org.yaml': org, 'apps/cm.yaml': cm('org-acme') })).filter((e) => !e.includes('CRDs'))).toEqual([]);
    expect(errors(await check({ 'apps/org.yaml': org, 'apps/cm.yaml': cm('org-other') }))).toContain('apps/cm.yaml: namespace org-other is never created on cluster prod');
  });
});

describe("kustomize patches with options.allowNameChange (wahooli: gateway-api's renamed Kustomizations)", () => {
  const fluxKs = (name: string, extra = '') => `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/${name.replace('base-', '')}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
  const overlay = (allow: boolean) => ({
    'base/crds/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - standard.yaml\n  - experimental.yaml\n',
    'base/crds/standard.yaml': fluxKs('base-standard'),
    'base/crds/experimental.yaml': fluxKs('base-experimental'),
    'overlay/crds/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base/crds\npatches:\n  - path: standard.yaml\n    target:\n      kind: Kustomization\n      name: base-standard\n${allow ? '    options:\n      allowNameChange: true\n' : ''}  - path: experimental.yaml\n    target:\n      kind: Kustomization\n      name: base-experimental\n${allow ? '    options:\n      allowNameChange: true\n' : ''}`,
    'overlay/crds/standard.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: standard\n  namespace: flux-system\n',
    'overlay/crds/experimental.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: experimental\n  namespace: flux-system\nspec:\n  dependsOn:\n    - name: standard\n',
    'apps/standard/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata:\n  a: b\n',
    'apps/experimental/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: default\ndata:\n  a: b\n',
  });
  const base = { 'clusters/prod/flux-system/gotk-sync.yaml': SYNC, 'clusters/prod/crds.yaml': APPS.replace('name: apps', 'name: crds').replace('./apps', './overlay/crds') };
  it('renames the target to the patch\'s name, as kustomize does; the patch files are what the cluster applies', async () => {
    const report = await check(overlay(true), base);
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).not.toContain('overlay/crds/');
  });
  it('without the option the name stays, and a dependsOn on the new name is an error', async () => {
    expect(errors(await check(overlay(false), base))).toEqual([expect.stringMatching(/dependsOn standard is not a Kustomization of cluster prod/)]);
  });
});

describe("a root applied by hand whose GitRepository is this repository under another name (tvories: kubectl apply -k k8s/clusters/cluster-0)", () => {
  const tree = (path: string) => ({
    'clusters/prod/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./gitrepository.yaml\n  - ./deploy-cluster.yaml\n',
    'clusters/prod/gitrepository.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: k8s-gitops\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/k8s-gitops.git\n',
    'clusters/prod/deploy-cluster.yaml': APPS.replace('name: apps', 'name: cluster-deployment').replace('./apps', path).replace('name: flux-system\n', 'name: k8s-gitops\n'),
    'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: nowhere\ndata:\n  a: b\n',
  });
  it('is walked: what its Kustomizations apply is checked', async () => {
    const report = await check(tree('./apps'), {});
    expect(errors(report)).toEqual(['apps/cm.yaml: namespace nowhere is never created on cluster prod']);
    expect(report.notes.join('\n')).toContain('GitRepository flux-system/k8s-gitops (https://github.com/example/k8s-gitops.git) is taken to be this repository');
  });
  it('a path this repository does not have is another repository\'s, not checked', async () => {
    const report = await check(tree('./deploy/prod'), {});
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).toContain('applies GitRepository flux-system/k8s-gitops, which is not this repository: not checked offline');
  });
  it("a second GitRepository of the checkout's remote is this repository, beside a root source of another URL", async () => {
    const entries = {
      'clusters/prod/second.yaml': tree('./apps')['clusters/prod/gitrepository.yaml'] + '---\n' + tree('./apps')['clusters/prod/deploy-cluster.yaml'],
      'apps/cm.yaml': tree('./apps')['apps/cm.yaml'],
    };
    const files = new FileSet();
    for (const [p, t] of Object.entries({ 'clusters/prod/flux-system/gotk-sync.yaml': SYNC, ...entries })) files.add(p, t);
    expect((await validateFiles(files)).findings.filter((f) => f.severity === 'error')).toEqual([]);
    const withRemote = await validateFiles(files, { repositoryUrls: ['git@github.com:example/k8s-gitops.git'] });
    expect(withRemote.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual(['apps/cm.yaml: namespace nowhere is never created on cluster prod']);
  });
});

describe("an ApplicationSet that picks values with sprig's dig and ternary (cterence/homelab-gitops)", () => {
  it('is rendered: its Applications are checked, not left out', async () => {
    const appOfApps = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-of-apps\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/example/homelab-gitops.git\n    path: argocd-apps/\n    targetRevision: HEAD\n  destination:\n    name: in-cluster\n    namespace: argocd\n  syncPolicy:\n    automated: {}\n';
    const set = `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: applications\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: ["missingkey=error"]\n  generators:\n    - list:\n        elements:\n          - name: demo\n          - name: quiet\n            namespace: elsewhere\n  template:\n    metadata:\n      name: '{{ .name }}'\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/example/homelab-gitops.git\n        path: 'k8s-apps/{{ .name }}'\n        targetRevision: HEAD\n      destination:\n        name: in-cluster\n        namespace: '{{ default .name (dig "namespace" "" .) }}'\n      ignoreDifferences:\n        - group: apps\n          kind: "*"\n          jqPathExpressions:\n            - '{{ ternary ".spec.replicas" ".nonexistent" (eq (dig "scaleToZero" "false" . | toString) "true") }}'\n      syncPolicy:\n        automated: {}\n        syncOptions:\n          - CreateNamespace=true\n`;
    const cm = (ns: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: ${ns}\ndata:\n  a: b\n`;
    const report = await check({ 'argocd-apps/app-of-apps.yaml': appOfApps, 'argocd-apps/applicationset.yaml': set, 'k8s-apps/demo/cm.yaml': cm('demo'), 'k8s-apps/quiet/cm.yaml': cm('elsewhere') }, {});
    expect(errors(report)).toEqual([]);
    expect(report.notes.join('\n')).not.toContain('does not render');
    // A namespace neither Application creates is caught in what the set generates.
    const wrong = await check({ 'argocd-apps/app-of-apps.yaml': appOfApps, 'argocd-apps/applicationset.yaml': set, 'k8s-apps/demo/cm.yaml': cm('other'), 'k8s-apps/quiet/cm.yaml': cm('elsewhere') }, {});
    expect(errors(wrong)).toEqual([expect.stringMatching(/^k8s-apps\/demo\/cm\.yaml: namespace other is never created/)]);
  });
});

describe('Flux Kustomizations that race for a namespace (allenporter, wahooli, geoffdavis)', () => {
  const ks = (name: string, path: string, dependsOn?: string) =>
    APPS.replace('name: apps', `name: ${name}`).replace('./apps', path) + (dependsOn ? `  dependsOn:\n    - name: ${dependsOn}\n` : '');
  const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: devpod\n';
  const svc = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: devpod\n  namespace: devpod\ndata:\n  a: b\n';
  const tree = (extra: Record<string, string>) => check({ 'infra/ns.yaml': ns, 'ml/cm.yaml': svc, ...extra }, { 'clusters/prod/flux-system/gotk-sync.yaml': SYNC });
  it('unordered: a warning, as kustomize-controller retries the one that fails until the namespace is there', async () => {
    const report = await tree({ 'clusters/prod/infra.yaml': ks('iot', './infra'), 'clusters/prod/ml.yaml': ks('ml', './ml') });
    expect(errors(report)).toEqual([]);
    expect(report.findings.filter((f) => f.message.includes('not ordered before')).map((f) => `${f.severity}: ${f.message}`)).toEqual([
      'warning: namespace devpod is created by iot, which is not ordered before ml on cluster prod: ml fails and is retried at its retryInterval until iot has applied (dependsOn: iot orders them)',
    ]);
  });
  it('ordered: nothing; the creator waiting for the one that needs its namespace: an error, neither ever applies', async () => {
    expect((await tree({ 'clusters/prod/infra.yaml': ks('iot', './infra'), 'clusters/prod/ml.yaml': ks('ml', './ml', 'iot') })).findings.filter((f) => f.message.includes('not ordered before'))).toEqual([]);
    const deadlock = await tree({ 'clusters/prod/infra.yaml': ks('iot', './infra', 'ml'), 'clusters/prod/ml.yaml': ks('ml', './ml') });
    expect(errors(deadlock)).toEqual(['ml/cm.yaml: namespace devpod is created by iot, which is not ordered before ml on cluster prod, and iot waits for it (dependsOn): neither ever applies']);
  });
});

describe("an object the root applies and a Kustomization applies again (tvories: kubectl apply -k, then Flux adopts)", () => {
  const repoObj = 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: k8s-gitops\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: https://github.com/example/k8s-gitops.git\n';
  const tree = {
    'clusters/prod/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux/repositories/k8s-gitops.yaml\n  - ./deploy.yaml\n',
    'clusters/prod/flux/repositories/k8s-gitops.yaml': repoObj,
    'clusters/prod/deploy.yaml': APPS.replace('name: apps', 'name: repositories').replace('./apps', './clusters/prod/flux/repositories').replace('name: flux-system\n', 'name: k8s-gitops\n'),
  };
  it('where the root sync is not in the repository: a warning (by hand it is adopted)', async () => {
    const report = await check(tree, {});
    expect(errors(report)).toEqual([]);
    expect(report.findings.filter((f) => f.message.includes('also applied by')).map((f) => f.severity)).toEqual(['warning']);
  });
  it("where flux bootstrap's sync is in the repository: two Kustomizations own it, an error", async () => {
    const report = await check({ ...tree, 'clusters/prod/flux-system/gotk-sync.yaml': SYNC }, {});
    expect(errors(report)).toContainEqual(expect.stringMatching(/GitRepository flux-system\/k8s-gitops is also applied by/));
  });
});

describe('Argo CD resource hooks two Applications render (fineract: a Sync Job in a base both include)', () => {
  const app = (name: string) => `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: ${name}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: team\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n`;
  const base = (hook: boolean) => ({
    'setup/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - job.yaml\n',
    'setup/job.yaml': `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: create-db\n${hook ? '  annotations:\n    argocd.argoproj.io/hook: Sync\n' : ''}spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: psql\n          image: postgres:15-alpine\n`,
    'keycloak/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../setup\n',
    'apps/setup.yaml': app('setup'),
    'apps/keycloak.yaml': app('keycloak'),
  });
  const root = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
  it('a hook both run is no shared resource; the same Job without the hook annotation is', async () => {
    expect(errors(await check(base(true), { 'root.yaml': root }))).toEqual([]);
    expect(errors(await check(base(false), { 'root.yaml': root }))).toEqual([expect.stringMatching(/Job team\/create-db is also applied by/)]);
  });
});

describe('Helm charts of the repository that Applications render (cterence: one ApplicationSet over 45 local charts)', () => {
  const chart = { 'k8s-apps/anubis/Chart.yaml': 'apiVersion: v2\nname: anubis\nversion: 1.0.0\n', 'k8s-apps/anubis/values.yaml': 'replicas: 1\n' };
  const app = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: anubis\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: HEAD\n    path: k8s-apps/anubis\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: anubis\n';
  const root = 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/org/repo.git\n    targetRevision: main\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n';
  it('are said not to be rendered offline, not passed over in silence', async () => {
    const report = await check({ ...chart, 'apps/anubis.yaml': app }, { 'root.yaml': root });
    expect(report.findings.map((f) => `${f.severity}: ${f.message}`)).toContain('warning: Application anubis renders the Helm chart in k8s-apps/anubis (Chart.yaml): Helm templates are not rendered offline, so what it applies is not checked');
  });
});
