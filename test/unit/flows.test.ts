/**
 * Network flows into default-deny namespaces (lib/validate/flows.ts), on repositories the generator
 * renders: every Gateway implementation and engine admits what the platform needs, and removing or
 * narrowing a policy the platform relies on is caught with a message that says what to add.
 */
import { describe, expect, it } from 'vitest';
import { posix } from 'node:path';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import { GATEWAYS } from '../../lib/plan.js';
import type { RawAnswers } from '../../lib/questions.js';
import { buildKustomization, isComponent, type K8sObject } from '../../lib/validate/build.js';
import type { Finding } from '../../lib/validate/findings.js';
import { checkNetworkFlows, GATEWAY_PROXIES, pickSolver, selects } from '../../lib/validate/flows.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';
type Subject = { object: K8sObject; file: string };

function answers(extra: RawAnswers): RawAnswers {
  return {
    provider: 'generic',
    's3-endpoint': 'https://s3.example.nl',
    preset: 'haven-plus',
    engine: 'flux',
    gateway: 'envoy',
    'git-remote': REMOTE,
    clusters: ['acc', 'prod'],
    'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl',
    'acme-email': 'platform@gemeente.example.nl',
    databases: ['app', 'orders'],
    'database-clients': ['apps'],
    ...extra,
  };
}

/** Everything one cluster applies: the build of each of its overlays (and, with Argo CD, its app-of-apps). */
function clusterObjects(raw: RawAnswers, cluster = 'prod'): Subject[] {
  const files = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files;
  const dirs = files
    .paths()
    .filter((p) => posix.basename(p) === 'kustomization.yaml' && !isComponent(files.get(p)))
    .map((p) => posix.dirname(p))
    .filter((d) => d.endsWith(`/overlays/${cluster}`) || d === `clusters/${cluster}/apps`);
  expect(dirs.length).toBeGreaterThan(0);
  const out: Subject[] = [];
  for (const dir of dirs) {
    const build = buildKustomization(files, dir);
    expect(build.errors).toEqual([]);
    for (const o of build.objects) out.push({ object: o.object, file: o.patchedBy.at(-1) ?? o.origin });
  }
  return out;
}

const show = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.file} ${f.object ?? ''} ${f.message}`).join('\n');
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const clone = (subjects: Subject[]): Subject[] => subjects.map((s) => ({ ...s, object: structuredClone(s.object) }));
const isObject = (s: Subject, kind: string, namespace: string | undefined, name: string) => s.object.kind === kind && s.object.metadata?.name === name && (namespace === undefined || s.object.metadata?.namespace === namespace);

/** A copy without one object (it must be there). */
function without(subjects: Subject[], kind: string, namespace: string, name: string): Subject[] {
  const out = clone(subjects).filter((s) => !isObject(s, kind, namespace, name));
  expect(out.length, `${kind} ${namespace}/${name} is not rendered`).toBe(subjects.length - 1);
  return out;
}

/** A copy with one object changed (it must be there). */
function changed(subjects: Subject[], kind: string, namespace: string | undefined, name: string, change: (o: K8sObject) => void): Subject[] {
  const out = clone(subjects);
  const hits = out.filter((s) => isObject(s, kind, namespace, name));
  expect(hits.length, `${kind} ${namespace}/${name} is not rendered`).toBeGreaterThan(0);
  for (const h of hits) change(h.object);
  return out;
}

const doc = (o: K8sObject, file = 'extra.yaml'): Subject => ({ object: o, file });

describe('network flows into default-deny namespaces', () => {
  // One render per route: the mutations below start from these.
  const envoy = clusterObjects(answers({}));

  it('the Gateway facts are the catalog\'s gatewayProxy data', () => {
    const backends = catalog.components.get('gateway')!.backends!;
    for (const [implementation, component] of Object.entries(backends)) {
      const facts = GATEWAY_PROXIES.find((f) => f.component === component);
      expect(facts, component!).toBeDefined();
      expect({ namespace: facts!.namespace, podLabels: facts!.podLabels }).toEqual(catalog.components.get(component!)!.gatewayProxy);
      expect(facts!.classNames).toContain(GATEWAYS[implementation as keyof typeof GATEWAYS].className);
    }
    // The generated GatewayClass names the controller the facts are keyed by.
    const gatewayClass = envoy.find((s) => s.object.kind === 'GatewayClass')!.object;
    expect(GATEWAY_PROXIES.find((f) => f.controllerName === gatewayClass.spec!.controllerName)?.component).toBe('envoy-gateway');
  });

  it('every Gateway implementation × engine × certificate issuer: no finding, and the flows were checked', () => {
    let combinations = 0;
    for (const gateway of ['envoy', 'istio', 'traefik']) {
      for (const engine of ['flux', 'argocd']) {
        for (const acme of [true, false]) {
          const raw = answers({ gateway, engine, ...(acme ? {} : { 'acme-email': undefined }) });
          for (const cluster of ['acc', 'prod']) {
            const objects = clusterObjects(raw, cluster);
            expect(show(checkNetworkFlows(objects)), JSON.stringify(raw)).toBe('');
            // What the rule looks at is there: default-deny namespaces with a CloudNativePG Cluster, and (ACME) the solver policy.
            expect(objects.filter((s) => s.object.kind === 'Cluster' && s.object.apiVersion === 'postgresql.cnpg.io/v1').length).toBe(3);
            expect(objects.some((s) => isObject(s, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver'))).toBe(acme);
            // Without the policies, the same repository is flagged (the rule saw the flows).
            const stripped = objects.filter((s) => !(s.object.kind === 'NetworkPolicy' && s.object.metadata?.name !== 'default-deny-ingress'));
            const flagged = errors(checkNetworkFlows(stripped));
            expect(flagged.some((f) => f.message.includes('TCP 8089')), JSON.stringify(raw)).toBe(acme);
            expect(flagged.filter((f) => f.message.includes('CloudNativePG operator')).length).toBe(3);
            combinations++;
          }
        }
      }
    }
    expect(combinations).toBe(24);
  });

  it('the HTTP-01 solver policy removed: the Gateway proxies cannot reach the solver', () => {
    const findings = checkNetworkFlows(without(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver'));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ severity: 'error', check: 'facts', object: 'Certificate keycloak/keycloak-tls', file: 'infrastructure/keycloak/config/overlays/prod/keycloak.yaml' });
    expect(f.message).toContain(
      "namespace keycloak denies ingress by default and no NetworkPolicy admits the Gateway public-gateway's proxies (envoy-gateway-system) to the HTTP-01 solver pods (acme.cert-manager.io/http01-solver=true) on TCP 8089: cert-manager can never complete the challenge for Certificate keycloak/keycloak-tls",
    );
    // What to add: the solver's label, the proxies' namespace and labels, the port.
    expect(f.message).toContain('add a NetworkPolicy in keycloak that selects acme.cert-manager.io/http01-solver: "true" and admits pods {');
    expect(f.message).toContain('gateway.envoyproxy.io/owning-gateway-name: "public-gateway"');
    expect(f.message).toContain('of namespace envoy-gateway-system');
  });

  it('the HTTP-01 solver policy on another port, or for other pods, or from another namespace: caught', () => {
    const port = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { ports: { port: number }[] }[] }).ingress[0].ports[0].port = 8090;
    });
    expect(show(errors(checkNetworkFlows(port)))).toContain('on TCP 8089');
    const protocol = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { ports: { protocol: string }[] }[] }).ingress[0].ports[0].protocol = 'UDP';
    });
    expect(errors(checkNetworkFlows(protocol))).toHaveLength(1);
    const labels = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels['acme.cert-manager.io/http01-solver'] = 'yes';
    });
    expect(errors(checkNetworkFlows(labels))).toHaveLength(1);
    const from = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { from: { namespaceSelector: { matchLabels: Record<string, string> } }[] }[] }).ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] = 'istio-system';
    });
    expect(errors(checkNetworkFlows(from))).toHaveLength(1);
    // The Istio proxies run in the Gateway's namespace: the Envoy Gateway policy does not admit them.
    const istio = changed(envoy, 'Gateway', 'gateway', 'public-gateway', (o) => {
      o.spec!.gatewayClassName = 'istio';
    });
    expect(show(errors(checkNetworkFlows(istio)))).toContain("the Gateway public-gateway's proxies (gateway) to the HTTP-01 solver pods");
    // A named port that is the solver's container port ("http") admits; a wider range too.
    const named = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { ports: { port: number | string }[] }[] }).ingress[0].ports[0].port = 'http';
    });
    expect(checkNetworkFlows(named)).toEqual([]);
    const range = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { ports: Record<string, unknown>[] }[] }).ingress[0].ports[0] = { protocol: 'TCP', port: 8000, endPort: 9000 };
    });
    expect(checkNetworkFlows(range)).toEqual([]);
  });

  it('a Certificate whose issuer has no HTTP-01 solver (a private CA) needs no solver flow', () => {
    const noPolicy = without(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver');
    expect(errors(checkNetworkFlows(noPolicy))).toHaveLength(1);
    const ca = doc({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'private-ca' }, spec: { ca: { secretName: 'private-ca-root' } } });
    const privateCa = [...changed(noPolicy, 'Certificate', 'keycloak', 'keycloak-tls', (o) => {
      (o.spec as { issuerRef: { name: string } }).issuerRef.name = 'private-ca';
    }), ca];
    expect(checkNetworkFlows(privateCa)).toEqual([]);
    // The repository rendered with the private CA has no solver policy and needs none.
    const rendered = clusterObjects(answers({ 'acme-email': undefined }));
    expect(rendered.some((s) => isObject(s, 'ClusterIssuer', undefined, 'private-ca'))).toBe(true);
    expect(checkNetworkFlows(rendered)).toEqual([]);
    // An ACME issuer that solves this name with DNS-01 (a more specific dnsZones selector) needs none either.
    const dns01 = changed(noPolicy, 'ClusterIssuer', undefined, 'letsencrypt-production', (o) => {
      const acme = o.spec!.acme as { solvers: unknown[] };
      acme.solvers.push({ selector: { dnsZones: ['gemeente.example.nl'] }, dns01: { rfc2136: { nameserver: '192.0.2.1' } } });
    });
    expect(checkNetworkFlows(dns01)).toEqual([]);
  });

  it('the CloudNativePG operator policy removed: caught for the Keycloak database and for the databases namespace', () => {
    const keycloak = checkNetworkFlows(without(envoy, 'NetworkPolicy', 'keycloak', 'allow-cloudnative-pg-operator'));
    expect(keycloak).toHaveLength(1);
    expect(keycloak[0]).toMatchObject({ severity: 'error', check: 'facts', object: 'Cluster keycloak/keycloak-db' });
    expect(keycloak[0].message).toContain(
      'namespace keycloak denies ingress by default and no NetworkPolicy admits the CloudNativePG operator (namespace cnpg-system) to the instances of Cluster keycloak/keycloak-db (cnpg.io/cluster=keycloak-db) on TCP 8000',
    );
    expect(keycloak[0].message).toContain('add a NetworkPolicy in keycloak that selects cnpg.io/cluster: keycloak-db and admits every pod of namespace cnpg-system');
    const databases = checkNetworkFlows(without(envoy, 'NetworkPolicy', 'databases', 'allow-cloudnative-pg-operator'));
    expect(databases.map((f) => f.object).sort()).toEqual(['Cluster databases/app', 'Cluster databases/orders']);
    // The operator moved (its Helm release in another namespace): the policy for cnpg-system no longer admits it.
    const moved = changed(envoy, 'HelmRelease', 'cnpg-system', 'cloudnative-pg', (o) => {
      o.spec!.targetNamespace = 'postgres-operator';
    });
    expect(errors(checkNetworkFlows(moved)).map((f) => f.object).sort()).toEqual(['Cluster databases/app', 'Cluster databases/orders', 'Cluster keycloak/keycloak-db']);
  });

  it('the instances must admit each other on 5432 and 8000', () => {
    const noStatus = changed(envoy, 'NetworkPolicy', 'databases', 'allow-replication', (o) => {
      (o.spec as { ingress: { ports: unknown[] }[] }).ingress[0].ports.pop();
    });
    const findings = errors(checkNetworkFlows(noStatus));
    expect(findings).toHaveLength(2);
    expect(findings[0].message).toContain('the instances of Cluster databases/app (cnpg.io/cluster=app) to each other on TCP 8000');
    const noReplication = without(envoy, 'NetworkPolicy', 'keycloak', 'allow-database-clients');
    expect(errors(checkNetworkFlows(noReplication)).map((f) => f.message.match(/on TCP \d+/)![0]).sort()).toEqual(['on TCP 5432', 'on TCP 8000']);
    // A policy for the primary only leaves the replicas unreachable.
    const primaryOnly = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-database-clients', (o) => {
      (o.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels['cnpg.io/instanceRole'] = 'primary';
    });
    expect(errors(checkNetworkFlows(primaryOnly))).toHaveLength(2);
  });

  it('an ipBlock alone is a warning (CNIs differ on pod addresses), not an error', () => {
    const ipBlock = changed(envoy, 'NetworkPolicy', 'keycloak', 'allow-acme-http01-solver', (o) => {
      (o.spec as { ingress: { from: unknown[] }[] }).ingress[0].from = [{ ipBlock: { cidr: '0.0.0.0/0' } }];
    });
    const findings = checkNetworkFlows(ipBlock);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toContain('only an ipBlock');
  });

  it('a Gateway of an unknown class: a warning that the flow cannot be checked', () => {
    const nginx = changed(envoy, 'Gateway', 'gateway', 'public-gateway', (o) => {
      o.spec!.gatewayClassName = 'nginx';
    });
    const findings = checkNetworkFlows(nginx);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toContain('cannot check that namespace keycloak');
    expect(findings[0].message).toContain('GatewayClass nginx');
  });

  it('Gateway to backend: the pods behind a routed Service must admit the proxies on the target port', () => {
    const app = [
      doc({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'account', namespace: 'keycloak' }, spec: { selector: { matchLabels: { app: 'account' } }, template: { metadata: { labels: { app: 'account', tier: 'web' } }, spec: { containers: [{ name: 'web', image: 'x', ports: [{ name: 'web', containerPort: 8080 }] }] } } } }),
      doc({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'account', namespace: 'keycloak' }, spec: { selector: { app: 'account' }, ports: [{ port: 80, targetPort: 'web' }] } }),
      doc({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'account', namespace: 'keycloak' },
        spec: { parentRefs: [{ name: 'public-gateway', namespace: 'gateway' }], rules: [{ backendRefs: [{ name: 'account', port: 80 }, { name: 'made-by-an-operator', port: 80 }] }] },
      }),
    ];
    const findings = checkNetworkFlows([...clone(envoy), ...app]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', object: 'HTTPRoute keycloak/account', file: 'extra.yaml' });
    expect(findings[0].message).toContain("namespace keycloak denies ingress by default and no NetworkPolicy admits the Gateway public-gateway's proxies (envoy-gateway-system) to the pods behind Service keycloak/account (app=account) on TCP 8080 (web)");
    const allow = doc({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-gateway', namespace: 'keycloak' },
      spec: {
        podSelector: { matchLabels: { tier: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } }, podSelector: { matchExpressions: [{ key: 'gateway.envoyproxy.io/owning-gateway-name', operator: 'In', values: ['public-gateway'] }] } }], ports: [{ port: 8080 }] }],
      },
    });
    expect(checkNetworkFlows([...clone(envoy), ...app, allow])).toEqual([]);
    // The Keycloak TLSRoute's backend is a Service the operator creates (not in the repository): no finding.
    expect(envoy.some((s) => isObject(s, 'TLSRoute', 'keycloak', 'keycloak'))).toBe(true);
    expect(envoy.some((s) => isObject(s, 'Service', 'keycloak', 'keycloak-service'))).toBe(false);
  });

  it('a Certificate cert-manager makes for an HTTPS listener of an annotated Gateway, in a default-deny namespace', () => {
    const https = changed(envoy, 'Gateway', 'gateway', 'public-gateway', (o) => {
      (o.spec!.listeners as unknown[]).push({ name: 'https-app', protocol: 'HTTPS', port: 443, hostname: 'app.gemeente.example.nl', tls: { certificateRefs: [{ name: 'app-tls' }] } });
    });
    expect(checkNetworkFlows(https)).toEqual([]);
    const deny = doc({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', namespace: 'gateway' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    const findings = checkNetworkFlows([...https, deny]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', object: 'Gateway gateway/public-gateway' });
    expect(findings[0].message).toContain('Certificate gateway/app-tls (which cert-manager makes for Gateway gateway/public-gateway)');
  });
});

describe('flow building blocks', () => {
  it('label selectors', () => {
    expect(selects({}, { a: 'b' })).toBe(true);
    expect(selects({ matchLabels: { a: 'b' } }, { a: 'b', c: 'd' })).toBe(true);
    expect(selects({ matchLabels: { a: 'c' } }, { a: 'b' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: 'b' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: 'b' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'b'] }] }, { a: 'b' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['b'] }] }, { a: 'b' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'z', operator: 'NotIn', values: ['b'] }] }, { a: 'b' })).toBe(true);
  });

  it("cert-manager's solver choice: dnsNames over dnsZones over labels, the longest zone, the first of equals; no HTTP-01 for a wildcard", () => {
    const http = { http01: {} };
    const zone = { selector: { dnsZones: ['example.nl'] }, dns01: {} };
    const deeper = { selector: { dnsZones: ['a.example.nl'] }, http01: { gatewayHTTPRoute: {} } };
    const name = { selector: { dnsNames: ['x.a.example.nl'] }, dns01: {} };
    expect(pickSolver([http, zone], 'x.example.nl', {})).toBe(zone);
    expect(pickSolver([http, zone], 'x.example.org', {})).toBe(http);
    expect(pickSolver([zone, deeper], 'x.a.example.nl', {})).toBe(deeper);
    expect(pickSolver([deeper, name], 'x.a.example.nl', {})).toBe(name);
    expect(pickSolver([http, { http01: {} }], 'x.example.nl', {})).toBe(http);
    expect(pickSolver([http], '*.example.nl', {})).toBeUndefined();
    const labelled = { selector: { matchLabels: { team: 'a' } }, dns01: {} };
    expect(pickSolver([http, labelled], 'x.example.nl', { team: 'a' })).toBe(labelled);
    expect(pickSolver([http, labelled], 'x.example.nl', { team: 'b' })).toBe(http);
  });
});
