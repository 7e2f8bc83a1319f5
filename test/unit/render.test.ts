import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { validateStructure } from '../../lib/validate/structure.js';
import { discoverClusters } from '../../lib/validate/topology.js';
import { buildKustomization } from '../../lib/validate/build.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const answers = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);
const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';

/** Every provider × engine × backend the answers allow, with small component sets and every preset. */
function matrix(): RawAnswers[] {
  const out: RawAnswers[] = [];
  for (const provider of catalog.providers.keys()) {
    for (const engine of ['flux', 'argocd']) {
      for (const backend of ['provider-s3', 'garage']) {
        for (const components of [['object-storage'], ['cert-manager'], ...[...catalog.presets.values()].map((p) => p.components)]) {
          const raw: RawAnswers = { provider, engine, components, 'object-storage': backend, 'git-remote': REMOTE, databases: ['app', 'orders'], 'keycloak-hostname': 'sso.example.nl', domain: 'apps.example.nl' };
          if (backend === 'provider-s3' && !catalog.providers.get(provider)!.s3?.endpoint) raw['s3-endpoint'] = 'https://s3.example.nl';
          out.push(raw);
        }
      }
    }
  }
  return out;
}

describe('render', () => {
  const cases = matrix();
  // Each combination rendered once, for the tests that walk them all.
  const renders = new Map<RawAnswers, ReturnType<typeof render>>();
  const rendered = (raw: RawAnswers) => renders.get(raw) ?? renders.set(raw, render(answers(raw))).get(raw)!;

  it(`renders ${cases.length} combinations that pass structural validation`, () => {
    for (const raw of cases) {
      const { files } = rendered(raw);
      expect(validateStructure(files, files.paths()), JSON.stringify(raw)).toEqual([]);
      // Every cluster found from its sync objects, and every path and dependsOn resolving.
      const topology = discoverClusters(files, (dir) => buildKustomization(files, dir));
      expect(topology.findings, JSON.stringify(raw)).toEqual([]);
      expect(topology.clusters.filter((c) => !c.spoke).map((c) => c.name).sort(), JSON.stringify(raw)).toEqual([...new Set(answers(raw).clusters.map((c) => c.name))].sort());
      const parseErrors = files.entries().filter(([path]) => path.endsWith('.yaml')).flatMap(([path, text]) => parseAllDocuments(text, { uniqueKeys: true }).flatMap((doc) => doc.errors.map((e) => `${path}: ${e.message}`)));
      expect(parseErrors, JSON.stringify(raw)).toEqual([]);
    }
  });

  it('is deterministic: the same answers give byte-identical files', () => {
    for (const raw of cases.slice(0, 12)) {
      const a = render(answers(raw)).files.entries();
      const b = render(answers(raw)).files.entries();
      expect(b).toEqual(a);
    }
  });

  it('never writes a Bitnami, MinIO or ingress-nginx image or chart', () => {
    // bitnami-labs (the Sealed Secrets project) and its API group bitnami.com are not Bitnami's catalogue.
    const forbidden = /(^|[^-\w])bitnami\/|bitnamicharts|charts\.bitnami\.com|bitnamilegacy|minio|ingress-nginx/i;
    /** Every key and scalar of a YAML value, where each breaks the rule; a chart's `minio` switch may only be turned off. */
    const offences: string[] = [];
    const walk = (v: unknown, where: string): void => {
      if (typeof v === 'string' && forbidden.test(v)) offences.push(`${where}: ${v}`);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}/${i}`));
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'minio') {
            if (JSON.stringify(x) !== '{"enabled":false}') offences.push(`${where}/minio: ${JSON.stringify(x)}`);
            continue;
          }
          if (forbidden.test(k)) offences.push(`${where}: key ${k}`);
          walk(x, `${where}/${k}`);
        }
      }
    };
    let minioSwitches = 0;
    for (const raw of cases) {
      for (const [path, text] of rendered(raw).files.entries()) {
        // A file the pattern finds nowhere in holds no offence: only the others are parsed and walked.
        if (!forbidden.test(text)) continue;
        if (!/\.ya?ml$/.test(path)) {
          offences.push(`${path}: ${forbidden.exec(text)![0]}`);
          continue;
        }
        minioSwitches += (text.match(/^\s*minio:$/gm) ?? []).length;
        for (const doc of parseAllDocuments(text)) walk(doc.toJS(), path);
      }
    }
    expect(offences).toEqual([]);
    // The walk saw the Loki chart's MinIO switch (turned off), so the exception is exercised.
    expect(minioSwitches).toBeGreaterThan(0);
  });

  it('writes LF, no trailing spaces, one final newline', () => {
    for (const [path, text] of render(answers(cases[0])).files.entries()) {
      expect(text.endsWith('\n') && !text.endsWith('\n\n'), path).toBe(true);
      expect(text, path).not.toMatch(/\r|[ \t]+\n/);
    }
  });

  it("tells Argo CD the SSH host key of a forge its chart does not know, on the remote's port; never for a known host or HTTPS", () => {
    const readme = (remote: string) => render(answers({ engine: 'argocd', provider: 'ovhcloud', 'git-remote': remote })).files.get('clusters/prod/README.md')!;
    const custom = readme('ssh://git@git.gemeente.nl:2222/platform/gitops.git');
    expect(custom).toContain('KNOWN_HOSTS="$(ssh-keyscan -p 2222 git.gemeente.nl 2>/dev/null | sort)"');
    expect(custom).toContain('      [git.gemeente.nl]:2222 ssh-ed25519 AAAA');
    // Before the install that reads the values.
    expect(custom.indexOf('ssh-keyscan')).toBeLessThan(custom.indexOf('helm install argocd'));
    // The chart's own known hosts, read from its values at the pinned version: GitHub, GitLab.com and the rest.
    for (const remote of ['git@github.com:gemeente/gitops.git', 'ssh://git@gitlab.com/gemeente/gitops.git', 'ssh://git@ssh.github.com:443/gemeente/gitops.git', REMOTE]) {
      expect(readme(remote), remote).not.toContain('ssh-keyscan');
    }
    expect(readme('git@bitbucket.org:gemeente/gitops.git')).not.toContain('ssh-keyscan');
    expect(readme('ssh://git@github.com:2222/gemeente/gitops.git')).toContain('ssh-keyscan -p 2222 github.com');
  });

  it("lists in each cluster README's Before you start the tools its own shell blocks run", () => {
    const before = (raw: RawAnswers) => /^- The tools the steps below run \(a route may need fewer\): (.*)\.$/m.exec(render(answers(raw)).files.get('clusters/prod/README.md')!)?.[1] ?? '';
    const flux = before({ provider: 'ovhcloud', 'git-remote': 'git@gitlab.example.nl:p/g.git', 'age-recipient': ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'] });
    // OVHcloud's CLI makes the buckets and the key: no S3 client needed; a provider without such commands needs one.
    for (const tool of ['`kubectl`', 'the `flux` CLI', '`sops`', 'the `ovhcloud` CLI (logged in: `ovhcloud login`)']) expect(flux).toContain(tool);
    expect(flux).not.toContain('kubeseal');
    expect(flux).not.toContain('the `aws` CLI');
    expect(before({ provider: 'hetzner', 'git-remote': REMOTE })).toContain('the `aws` CLI');
    const argo = before({ engine: 'argocd', provider: 'ovhcloud', 'git-remote': 'git@gitlab.example.nl:p/g.git' });
    for (const tool of ['`kubectl`', '`helm` (3.8 or newer: OCI charts; Helm 4 works too)', '`kubeseal`', "OpenSSH's `ssh-keyscan`"]) expect(argo).toContain(tool);
    expect(before({ engine: 'argocd', provider: 'ovhcloud', 'git-remote': REMOTE })).not.toContain('ssh-keyscan');
  });

  it("reads the commands of shell blocks: pipes, continuations, substitutions; not variables, comments, YAML blocks or the shell's own words", async () => {
    const { commandsOf } = await import('../../lib/render/tools.js');
    const md = "```sh\nKNOWN=\"$(ssh-keyscan -p 22 h | sort)\"\nprintf '%s' \"$K\" | ssh-keygen -lf -   # kubeseal in a comment\nflux bootstrap git \\\n  --url=x && kubectl apply -f - <<'EOF'\napiVersion: v1\nEOF\nFOO=1 helm install x\n```\n\n```yaml\nkubectl: no\n```\n";
    // (A heredoc's YAML lines start with a key, `apiVersion:`, never a command.)
    expect([...commandsOf(md)].sort()).toEqual(['flux', 'helm', 'kubectl', 'ssh-keygen', 'ssh-keyscan']);
  });

  it("names in the README's component table the namespaces each component runs in, as rendered, and none where it deploys nothing", () => {
    const table = (raw: RawAnswers) => new Map([...render(answers(raw)).files.get('README.md')!.matchAll(/^\| ([^|]+) \| [^|]* \| [^|]* \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2]]));
    const argo = table({ engine: 'argocd', provider: 'ovhcloud', 'git-remote': REMOTE });
    expect(argo.get('PostgreSQL (CloudNativePG)')).toBe('`cnpg-system`, `databases`');
    expect(argo.get('Argo CD')).toBe('`argocd`');
    // The provider's S3 and Argo CD's Secrets delivery run nothing of their own (no flux-system on Argo CD).
    expect(argo.get('Object storage (S3 API)')).toBe('- (none of its own)');
    expect(argo.get('Secrets delivery')).toBe('- (none of its own)');
    expect(table({ provider: 'local' }).get('Garage')).toBe('`garage`');
  });

  it("a laptop sandbox's README does not ask for the object storage key its script makes, and still asks for the rest", () => {
    const readme = render(answers({ provider: 'local', components: ['postgres', 'velero'] })).files.get('clusters/local/README.md')!;
    expect(readme).toContain('| `s3-credentials` | `databases` | an object storage access key with read/write access to the cluster\'s backup bucket | made by `make sandbox`, in the cluster only |');
    expect(readme).not.toContain('HAVEN_PLUS_SECRET_S3_CREDENTIALS__');
    expect(readme).toContain("read -rsp 'HAVEN_PLUS_SECRET_VELERO_REPO_CREDENTIALS__REPOSITORY_PASSWORD: '");
    // On a real cluster the same key is the user's to provide.
    expect(render(answers({ provider: 'ovhcloud', components: ['postgres'] })).files.get('clusters/prod/README.md')).toContain('HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID');
  });

  it("the README's list of what to provide names the component each line is for, and asks for the age key first while nothing is encrypted", () => {
    const provide = (raw: RawAnswers) => {
      const readme = render(answers(raw)).files.get('README.md')!;
      return readme.slice(readme.indexOf('## What you must provide'), readme.indexOf('## Haven checks'));
    };
    const bare = provide({ provider: 'ovhcloud', components: ['kube-state-metrics', 'postgres'] });
    expect(bare).toContain('- **kube-state-metrics**: A metrics pipeline that scrapes it');
    // The key pair first: every Secret after it is encrypted with it.
    const items = bare.split('\n').filter((l) => l.startsWith('- '));
    expect(items[0]).toMatch(/^- First, an age key pair to encrypt the Secrets with: there is no age recipient yet \(`\.sops\.yaml`\), so nothing is encrypted; re-run haven-plus with `--age-generate`/);
    expect(bare).toContain('Secrets will be files encrypted with SOPS/age');
    expect(bare).not.toContain('the age private key that opens the `*.sops.yaml` files');
    const keyed = provide({ provider: 'ovhcloud', components: ['postgres'], 'age-recipient': ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'] });
    expect(keyed).toContain('- On each cluster, Secret `sops-age` in `flux-system` with the age private key that opens the `*.sops.yaml` files.');
    expect(keyed).toContain('Secrets are files encrypted with SOPS/age');
  });

  it('puts the pinned versions and the bootstrap commands in the READMEs', () => {
    const { files } = render(answers({ provider: 'ovhcloud', clusters: ['acc', 'prod'], 'git-remote': REMOTE }));
    const readme = files.get('README.md')!;
    expect(readme).toContain('| `cloudnative-pg` | `0.29.0` |');
    expect(readme).toContain('| `cert-manager` | `v1.21.1` |');
    expect(readme).toContain('platform-prod-postgres');
    const cluster = files.get('clusters/prod/README.md')!;
    expect(cluster).toContain(`--url=${REMOTE}`);
    expect(cluster).toContain('--path=clusters/prod');
    expect(cluster).toContain('flux create kustomization flux-system');
    expect(cluster).toContain('kind: FluxInstance');
    // SOPS without a recipient yet: the values recipe makes the key first. Of two clusters, the values named for
    // this one (the provider's key for prod is not acc's).
    expect(cluster).toContain("read -rsp 'HAVEN_PLUS_SECRET_PROD__S3_CREDENTIALS__S3_ACCESS_KEY_ID: '");
    expect(cluster).not.toContain("read -rsp 'HAVEN_PLUS_SECRET_S3_CREDENTIALS__");
    expect(cluster).toContain('haven-plus . --age-generate');
  });

  it('says which Argo CD Applications wait for the Secrets you provide, in a sentence that agrees in number', () => {
    const one = render(answers({ engine: 'argocd', provider: 'ovhcloud', clusters: ['prod'], components: ['object-storage', 'postgres'], 'git-remote': REMOTE } as RawAnswers)).files.get('clusters/prod/README.md')!;
    expect(one).toContain('`postgres-config` reads\nSecrets you provide (section 3): until those are in git it stays Progressing');
    const many = render(answers({ engine: 'argocd', provider: 'ovhcloud', clusters: ['prod'], preset: 'haven-plus', 'keycloak-hostname': 'sso.example.nl', 'git-remote': REMOTE })).files.get('clusters/prod/README.md')!;
    expect(many).toMatch(/`keycloak-config` read\nSecrets you provide \(section 3\): until those are in git they stay Progressing/);
  });

  it('lists the Argo CD Applications by wave in the cluster READMEs, app-of-apps and hub spoke alike', () => {
    const waveTable = (readme: string) =>
      [...readme.matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)].map((m) => ({ wave: Number(m[1]), app: m[2] }));
    const own = render(answers({ engine: 'argocd', provider: 'ovhcloud', clusters: ['prod'], preset: 'haven-plus', 'keycloak-hostname': 'sso.example.nl', domain: 'apps.example.nl', 'git-remote': REMOTE })).files;
    const hub = render(answers({ engine: 'argocd', topology: 'hub', provider: 'scaleway', clusters: ['a', 'b'], 'git-remote': REMOTE } as RawAnswers)).files;
    for (const [readme, apps] of [
      [own.get('clusters/prod/README.md')!, own.paths().filter((p) => p.startsWith('clusters/prod/apps/') && !/\/(root|project|kustomization)\.yaml$/.test(p))],
      [hub.get('clusters/b/README.md')!, null],
    ] as const) {
      const table = waveTable(readme);
      expect(table.length).toBeGreaterThan(4);
      expect(table.map((r) => r.wave)).toEqual(table.map((r) => r.wave).sort((x, y) => x - y));
      expect(new Set(table.map((r) => r.wave)).size).toBeGreaterThan(2);
      if (apps) expect(table.map((r) => `clusters/prod/apps/${r.app}.yaml`).sort()).toEqual([...apps].sort());
    }
  });

  it('writes the Argo CD Application health check into Argo CD values', () => {
    const { files } = render(answers({ engine: 'argocd', 'git-remote': REMOTE }));
    const values = files.get('infrastructure/argocd/controller/base/argocd.values.yaml')!;
    expect(values).toContain('resource.customizations.health.argoproj.io_Application');
    expect(values).toContain('hs.status = obj.status.health.status');
  });

  it('makes the Argo CD root Application manage itself, without a cascading finalizer', () => {
    const { files } = render(answers({ engine: 'argocd', 'git-remote': REMOTE }));
    const [root] = parseAllDocuments(files.get('clusters/local/apps/root.yaml')!).map((d) => d.toJS());
    expect(root.spec.source).toEqual({ repoURL: REMOTE, targetRevision: 'main', path: 'clusters/local/apps' });
    expect(root.metadata.finalizers).toBeUndefined();
    expect(files.get('clusters/local/apps/kustomization.yaml')).toContain('- root.yaml');
  });

  it('admits only the operator, replication and the named client namespaces to the databases', () => {
    const policies = (raw: RawAnswers) =>
      parseAllDocuments(render(answers(raw)).files.get('infrastructure/postgres/config/base/network-policies.yaml')!).map((d) => d.toJS());
    const closed = policies({});
    expect(closed.map((p) => p.metadata.name)).toEqual(['default-deny-ingress', 'allow-cloudnative-pg-operator', 'allow-replication']);
    expect(closed[0].spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(closed[1].spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'cnpg-system' });
    const open = policies({ 'database-clients': ['zaken', 'documenten'] });
    const clients = open.find((p) => p.metadata.name === 'allow-database-clients');
    expect(clients.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values).toEqual(['zaken', 'documenten']);
    expect(clients.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
    expect(render(answers({ 'database-clients': ['zaken'] })).files.get('README.md')).toContain('pods in the namespaces zaken');
  });

  it('references credentials, never writes them', () => {
    const { files } = render(answers({ provider: 'ovhcloud' }));
    const stores = files.get('infrastructure/postgres/config/overlays/prod/object-stores.yaml')!;
    const [store] = parseAllDocuments(stores).map((d) => d.toJS());
    expect(store.spec.configuration.s3Credentials).toEqual({
      accessKeyId: { name: 's3-credentials', key: 'S3_ACCESS_KEY_ID' },
      secretAccessKey: { name: 's3-credentials', key: 'S3_SECRET_ACCESS_KEY' },
    });
    for (const [path, text] of files.entries()) expect(text, path).not.toMatch(/^kind: Secret$/m);
  });
  it('delivers an OCI chart, upstream CRD manifests and install-time Secrets with both engines', () => {
    const flux = render(answers({ provider: 'local', components: ['gateway', 'velero'], gateway: 'traefik' })).files;
    const envoyFlux = render(answers({ provider: 'local', components: ['gateway'] })).files;
    const sources = parseAllDocuments(envoyFlux.get('infrastructure/envoy-gateway/controller/base/sources.yaml')!).map((d) => d.toJS());
    expect(sources).toEqual([expect.objectContaining({ kind: 'OCIRepository', spec: expect.objectContaining({ url: 'oci://registry-1.docker.io/envoyproxy/gateway-helm', ref: { tag: 'v1.9.0' } }) })]);
    const release = parseAllDocuments(envoyFlux.get('infrastructure/envoy-gateway/controller/base/releases.yaml')!)[0].toJS();
    expect(release.spec.chartRef).toEqual({ kind: 'OCIRepository', name: 'envoy-gateway' });
    expect(release.spec.chart).toBeUndefined();
    // Gateway API CRDs for Traefik: a Kustomization of the upstream tag, never pruned.
    const crds = parseAllDocuments(flux.get('infrastructure/gateway-api/controller/base/releases.yaml')!)[0].toJS();
    expect(crds).toMatchObject({ kind: 'Kustomization', spec: { path: './config/crd', prune: false, sourceRef: { kind: 'GitRepository', name: 'gateway-api' } } });
    expect(flux.get('infrastructure/gateway/config/overlays/local/gateway.yaml')).toContain('gatewayClassName: traefik');
    expect(flux.get('infrastructure/gateway/config/overlays/local/gateway.yaml')).toContain('port: 8000');

    const argo = render(answers({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, components: ['gateway', 'velero'], gateway: 'istio', secrets: 'external-secrets', 'secret-store': 'store' })).files;
    const app = (name: string) => parseAllDocuments(argo.get(`clusters/local/apps/${name}.yaml`)!)[0].toJS();
    expect(app('gateway-api').spec).toMatchObject({ source: { repoURL: 'https://github.com/kubernetes-sigs/gateway-api', path: 'config/crd', targetRevision: 'v1.6.1' }, syncPolicy: { automated: { prune: false } } });
    // Velero's S3 key and repository password are Secrets its chart reads at install: a third source of its Application.
    const velero = app('velero').spec.sources;
    expect(velero).toHaveLength(3);
    expect(velero[2]).toEqual({ repoURL: REMOTE, targetRevision: 'main', path: 'infrastructure/velero/controller/overlays/local' });
    expect(argo.get('infrastructure/velero/controller/overlays/local/kustomization.yaml')).toContain('s3-credentials.external-secret.yaml');
    expect(argo.get('infrastructure/velero/controller/overlays/local/s3-credentials.external-secret.yaml')).toContain('namespace: velero');
    const envoyArgo = render(answers({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, components: ['gateway'] })).files;
    expect(parseAllDocuments(envoyArgo.get('clusters/local/apps/envoy-gateway.yaml')!)[0].toJS().spec.sources[0]).toMatchObject({ repoURL: 'oci://registry-1.docker.io/envoyproxy/gateway-helm', path: '.', targetRevision: 'v1.9.0' });
    expect(envoyArgo.get('clusters/local/apps/project.yaml')).toContain('oci://registry-1.docker.io/envoyproxy/gateway-helm');
  });
  it('gives each tenant a restricted namespace and only its own repository, after the platform', () => {
    const tenants = ['sociaal=https://git.example.nl/sociaal/apps.git'];
    const flux = render(answers({ provider: 'local', components: ['kyverno', 'postgres'], tenants })).files;
    const objects = parseAllDocuments(flux.get('tenants/sociaal/tenant.yaml')!).map((d) => d.toJS());
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'RoleBinding', 'GitRepository', 'Kustomization']);
    expect(objects[1].roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' });
    expect(objects[3].spec).toMatchObject({ serviceAccountName: 'sociaal', targetNamespace: 'sociaal', sourceRef: { kind: 'GitRepository', name: 'sociaal' } });
    expect(flux.get('tenants/sociaal/namespace.yaml')).toContain('pod-security.kubernetes.io/enforce: restricted');
    const ks = parseAllDocuments(flux.get('clusters/local/tenants.yaml')!)[0].toJS();
    expect(ks.spec.path).toBe('./tenants');
    expect(ks.spec.dependsOn.map((d: { name: string }) => d.name)).toEqual(['cert-manager-config', 'garage-controller', 'kyverno-controller', 'postgres-config']);
    expect(flux.get('README.md')).toContain('| sociaal | `sociaal` |');

    const argo = render(answers({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, components: ['postgres'], tenants })).files;
    const [project, app] = parseAllDocuments(argo.get('tenants/sociaal/tenant.yaml')!).map((d) => d.toJS());
    expect(project.spec).toMatchObject({ sourceRepos: ['https://git.example.nl/sociaal/apps.git'], destinations: [{ namespace: 'sociaal' }], clusterResourceWhitelist: [] });
    expect(app.spec).toMatchObject({ project: 'sociaal', destination: { namespace: 'sociaal' } });
    const waves = parseAllDocuments(argo.get('clusters/local/apps/kustomization.yaml')!)[0].toJS().resources as string[];
    expect(waves).toContain('tenants.yaml');
    // The last wave: after postgres-config (wave 3).
    expect(parseAllDocuments(argo.get('clusters/local/apps/tenants.yaml')!)[0].toJS().metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('4');
    expect(argo.get('clusters/local/apps/project.yaml')).toContain('namespace: sociaal');
  });
  it('runs Keycloak from the upstream operator manifests, patched to restricted, behind a TLS passthrough listener', () => {
    const flux = render(answers({ provider: 'scaleway', clusters: ['acc', 'prod'], components: ['keycloak'], 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl' })).files;
    const operator = parseAllDocuments(flux.get('infrastructure/keycloak/controller/base/releases.yaml')!)[0].toJS();
    expect(operator).toMatchObject({ kind: 'Kustomization', spec: { path: './kubernetes', prune: false, sourceRef: { kind: 'GitRepository', name: 'keycloak-k8s-resources' } } });
    expect(operator.spec.patches[0].target).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment', name: 'keycloak-operator' });
    expect(operator.spec.patches[0].patch).toContain('type: RuntimeDefault');
    const gateway = parseAllDocuments(flux.get('infrastructure/gateway/config/overlays/prod/gateway.yaml')!)[0].toJS();
    expect(gateway.spec.listeners[1]).toMatchObject({ name: 'tls-keycloak', protocol: 'TLS', port: 443, hostname: 'sso.prod.gemeente.example.nl', tls: { mode: 'Passthrough' } });
    const keycloak = flux.get('infrastructure/keycloak/config/overlays/acc/keycloak.yaml')!;
    expect(keycloak).toContain('hostname: sso.acc.gemeente.example.nl');
    expect(keycloak).toContain('kind: TLSRoute');
  });
  it('gives ExternalDNS the credential of the cluster provider\'s DNS service: environment, webhook sidecar or file', () => {
    const values = (provider: string) => parseAllDocuments(render(answers({ provider, components: ['external-dns'], domain: 'apps.example.nl' })).files.get('infrastructure/external-dns/controller/overlays/prod/external-dns-values.yaml')!)[0].toJS().spec.values;
    const scaleway = values('scaleway');
    expect(scaleway.provider).toEqual({ name: 'scaleway' });
    expect(scaleway.env.map((e: { name: string }) => e.name)).toEqual(['SCW_ACCESS_KEY', 'SCW_SECRET_KEY']);
    expect(scaleway).toMatchObject({ txtOwnerId: 'platform-prod', domainFilters: ['apps.example.nl'] });
    const hetzner = values('hetzner');
    expect(hetzner.provider.webhook.image).toEqual({ repository: 'docker.io/hetzner/external-dns-hetzner-webhook', tag: 'v0.3.4' });
    expect(hetzner.env).toBeUndefined();
    const azure = values('azure');
    expect(azure.extraVolumes[0].secret).toMatchObject({ secretName: 'external-dns-credentials', items: [{ key: 'azure.json', path: 'azure.json' }] });
    expect(azure.extraVolumeMounts[0]).toMatchObject({ mountPath: '/etc/kubernetes', readOnly: true });
    expect(values('generic').extraArgs).toContain('--rfc2136-tsig-axfr');
  });
});
