/**
 * Network flows the platform needs, against the NetworkPolicies of namespaces that deny ingress by
 * default. Every object a cluster applies (built) goes in; for each default-deny namespace the flows
 * into it are derived from what runs there, and each must be admitted by some NetworkPolicy:
 *
 * - HTTP-01: a cert-manager Certificate (or one cert-manager's gateway-shim makes for an annotated
 *   Gateway) whose ACME issuer picks an http01 solver: the Gateway's proxies reach the solver pod that
 *   cert-manager runs in the Certificate's namespace (TCP 8089).
 * - CloudNativePG: the operator reaches every instance of a Cluster on its status port (TCP 8000), and
 *   the instances reach each other on 5432 (replication) and 8000 (status).
 * - Gateway to backend: an HTTPRoute, GRPCRoute, TLSRoute or TCPRoute's parent Gateways' proxies reach
 *   the pods behind each backend Service (its selector) on the Service's target port.
 *
 * NetworkPolicy semantics (networking.k8s.io/v1): a pod that some policy with policyType Ingress selects
 * is reachable on a port from a peer only if one such policy has an ingress rule whose `from` matches the
 * peer (absent or empty: any peer) and whose `ports` include the port (absent or empty: every port).
 * A peer is a podSelector (pods of the policy's namespace), a namespaceSelector (every pod of the
 * namespaces it selects; namespaces carry kubernetes.io/metadata.name), both (those pods of those
 * namespaces), or an ipBlock. Whether an ipBlock matches pod IPs differs between CNIs: a flow admitted
 * only by an ipBlock is a warning, not an error.
 */
import { get, objectKey, type K8sObject } from './build.js';
import { error, warning, type Finding } from './findings.js';

type Labels = Record<string, string>;
type Subject = { object: K8sObject; file: string };

/**
 * Where each Gateway implementation runs the proxies of a Gateway, and the labels they carry.
 * `{gateway}` and `{gatewayNamespace}` stand for the Gateway's name and namespace. The generator keeps the
 * same facts as `gatewayProxy` in templates/components/{envoy-gateway,istio,traefik}/component.yaml
 * (test/unit/flows.test.ts holds the two equal).
 */
export interface GatewayProxyFacts {
  /** The catalog component that implements it. */
  component: string;
  /** GatewayClass spec.controllerName. */
  controllerName: string;
  /** Class names the implementation's own install uses, for a Gateway whose GatewayClass is not in the repository. */
  classNames: string[];
  namespace: string;
  podLabels: Labels;
  source: string;
}

export const GATEWAY_PROXIES: GatewayProxyFacts[] = [
  {
    component: 'envoy-gateway',
    controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
    classNames: ['envoy-gateway'],
    // Default ControllerNamespace deploy mode: every Gateway's proxy Deployment runs in the controller's namespace.
    namespace: 'envoy-gateway-system',
    podLabels: {
      'app.kubernetes.io/name': 'envoy',
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'gateway.envoyproxy.io/owning-gateway-name': '{gateway}',
      'gateway.envoyproxy.io/owning-gateway-namespace': '{gatewayNamespace}',
    },
    source: 'envoyproxy/gateway v1.9.0 internal/infrastructure/kubernetes/proxy_infra.go (GetResourceNamespace), proxy/resource.go and resource_provider.go (getPodLabels)',
  },
  {
    component: 'istio',
    controllerName: 'istio.io/gateway-controller',
    classNames: ['istio'],
    // istiod deploys each Gateway's proxy in the Gateway's own namespace.
    namespace: '{gatewayNamespace}',
    podLabels: { 'gateway.networking.k8s.io/gateway-name': '{gateway}' },
    source: 'istio/istio 1.30.3 manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml',
  },
  {
    component: 'traefik',
    controllerName: 'traefik.io/gateway-controller',
    classNames: ['traefik'],
    // Traefik serves every Gateway from its own pods (release traefik in namespace traefik).
    namespace: 'traefik',
    podLabels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' },
    source: 'traefik/traefik-helm-chart v41.3.0 templates/_podtemplate.tpl, _helpers.tpl (instance label <release>-<namespace>)',
  },
];

/** cert-manager's HTTP-01 solver pod (cert-manager v1.21.1 pkg/issuer/acme/http/pod.go, http.go acmeSolverListenPort). */
const SOLVER = { label: 'acme.cert-manager.io/http01-solver', port: 8089, portName: 'http' };

/**
 * CloudNativePG instance pods (cloudnative-pg v1.30.0 pkg/specs/pods.go: labels, container ports
 * postgresql 5432 and status 8000; docs/src/security.md: "The operator needs to communicate to each
 * instance on TCP port 8000"). Role labels differ between the primary and the replicas.
 */
const CNPG = { postgres: { port: 5432, name: 'postgresql' }, status: { port: 8000, name: 'status' }, defaultNamespace: 'cnpg-system', chart: 'cloudnative-pg' };
const cnpgInstanceLabels = (cluster: K8sObject, role: string): Labels => ({
  ...((get(cluster, 'spec.inheritedMetadata.labels') as Labels | undefined) ?? {}),
  'cnpg.io/cluster': cluster.metadata!.name!,
  'cnpg.io/podRole': 'instance',
  'app.kubernetes.io/name': 'postgresql',
  'app.kubernetes.io/instance': cluster.metadata!.name!,
  'app.kubernetes.io/component': 'database',
  'app.kubernetes.io/managed-by': 'cloudnative-pg',
  role,
  'cnpg.io/instanceRole': role,
});

interface PodPort {
  number?: number;
  name?: string;
  protocol: string;
}
/** Pods the flow goes to or comes from: a namespace and the labels they are known to carry. */
interface Pods {
  namespace: string;
  labels: Labels;
}
type Verdict = 'admitted' | 'ipBlock' | 'denied';

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr?: string };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface IngressRule {
  from?: PolicyPeer[];
  ports?: PolicyPort[];
}

const isEmptySelector = (s: Selector | undefined) => !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

/** metav1.LabelSelector semantics (an empty selector selects everything). */
export function selects(s: Selector | undefined, labels: Labels): boolean {
  if (!s) return true;
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== String(v)) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = (e.values ?? []).map(String);
    const ok =
      e.operator === 'In' ? has && values.includes(labels[e.key]) :
      e.operator === 'NotIn' ? !has || !values.includes(labels[e.key]) :
      e.operator === 'Exists' ? has :
      e.operator === 'DoesNotExist' ? !has :
      false;
    if (!ok) return false;
  }
  return true;
}

const labelText = (labels: Labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');
const yamlLabels = (labels: Labels) => `{${Object.entries(labels).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`;
const fill = (s: string, gateway: string, gatewayNamespace: string) => s.replaceAll('{gateway}', gateway).replaceAll('{gatewayNamespace}', gatewayNamespace);
const namespaceOf = (o: K8sObject) => o.metadata?.namespace ?? 'default';
const group = (o: K8sObject) => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : '');

/** What the objects of one cluster say about namespaces, NetworkPolicies and the objects flows are derived from. */
class Cluster {
  readonly policies = new Map<string, K8sObject[]>();
  readonly namespaceLabels = new Map<string, Labels>();
  constructor(readonly subjects: Subject[]) {
    for (const { object } of subjects) {
      if (object.kind === 'NetworkPolicy' && group(object) === 'networking.k8s.io') {
        const ns = namespaceOf(object);
        this.policies.set(ns, [...(this.policies.get(ns) ?? []), object]);
      }
      if (object.kind === 'Namespace' && object.apiVersion === 'v1' && object.metadata?.name) {
        this.addNamespaceLabels(object.metadata.name, object.metadata.labels ?? {});
      }
      // Argo CD creates the destination namespace with these labels (CreateNamespace=true).
      const managed = get(object, 'spec.syncPolicy.managedNamespaceMetadata.labels') as Labels | undefined;
      const destination = get(object, 'spec.destination.namespace');
      if (object.kind === 'Application' && managed && typeof destination === 'string') this.addNamespaceLabels(destination, managed);
    }
  }

  private addNamespaceLabels(ns: string, labels: Labels) {
    this.namespaceLabels.set(ns, { ...(this.namespaceLabels.get(ns) ?? {}), ...labels });
  }

  of(kind: string, apiGroup: string): Subject[] {
    return this.subjects.filter((s) => s.object.kind === kind && group(s.object) === apiGroup && s.object.metadata?.name);
  }

  find(kind: string, apiGroup: string, name: string, namespace?: string): Subject | undefined {
    return this.of(kind, apiGroup).find((s) => s.object.metadata!.name === name && (namespace === undefined || namespaceOf(s.object) === namespace));
  }

  labelsOfNamespace(ns: string): Labels {
    return { ...(this.namespaceLabels.get(ns) ?? {}), 'kubernetes.io/metadata.name': ns };
  }

  /** The policies that make `ns` deny ingress by default: podSelector {}, Ingress among the policy types, no ingress rule. */
  defaultDeny(ns: string): K8sObject[] {
    return (this.policies.get(ns) ?? []).filter((p) => {
      const spec = (p.spec ?? {}) as { podSelector?: Selector; policyTypes?: string[]; ingress?: unknown[] };
      // Without policyTypes a policy is always of type Ingress (the API's default).
      return isEmptySelector(spec.podSelector) && (spec.policyTypes === undefined || spec.policyTypes.includes('Ingress')) && (spec.ingress ?? []).length === 0;
    });
  }

  /** Whether the policies of the target's namespace admit `peer` to the target pods on `port`. */
  admits(target: Pods, port: PodPort, peer: Pods): Verdict {
    let verdict: Verdict = 'denied';
    for (const policy of this.policies.get(target.namespace) ?? []) {
      const spec = (policy.spec ?? {}) as { podSelector?: Selector; policyTypes?: string[]; ingress?: IngressRule[] };
      if (spec.policyTypes !== undefined && !spec.policyTypes.includes('Ingress')) continue;
      if (!selects(spec.podSelector ?? {}, target.labels)) continue;
      for (const rule of spec.ingress ?? []) {
        if (!portMatches(rule.ports, port)) continue;
        const from = this.fromMatches(rule.from, peer, target.namespace);
        if (from === 'admitted') return 'admitted';
        if (from === 'ipBlock') verdict = 'ipBlock';
      }
    }
    return verdict;
  }

  private fromMatches(from: PolicyPeer[] | undefined, peer: Pods, policyNamespace: string): Verdict {
    if (!from || from.length === 0) return 'admitted';
    let verdict: Verdict = 'denied';
    for (const p of from) {
      if (p.ipBlock) {
        verdict = 'ipBlock';
        continue;
      }
      if (!p.namespaceSelector && !p.podSelector) continue;
      const namespaceOk = p.namespaceSelector ? selects(p.namespaceSelector, this.labelsOfNamespace(peer.namespace)) : peer.namespace === policyNamespace;
      if (namespaceOk && selects(p.podSelector, peer.labels)) return 'admitted';
    }
    return verdict;
  }
}

function portMatches(ports: PolicyPort[] | undefined, port: PodPort): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== port.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === port.name;
    if (port.number === undefined) return false;
    return p.endPort !== undefined ? port.number >= p.port && port.number <= p.endPort : port.number === p.port;
  });
}

interface Proxies extends Pods {
  gateway: string;
  gatewayNamespace: string;
}

/** The proxies of a Gateway, or why they cannot be known. */
function gatewayProxies(cluster: Cluster, name: string, namespace: string): Proxies | { unknown: string } {
  const gw = cluster.find('Gateway', 'gateway.networking.k8s.io', name, namespace);
  if (!gw) return { unknown: `Gateway ${namespace}/${name} is not in what this cluster applies` };
  const className = get(gw.object, 'spec.gatewayClassName');
  if (typeof className !== 'string') return { unknown: `Gateway ${namespace}/${name} names no gatewayClassName` };
  const gatewayClass = cluster.find('GatewayClass', 'gateway.networking.k8s.io', className);
  const controller = gatewayClass ? get(gatewayClass.object, 'spec.controllerName') : undefined;
  const facts = typeof controller === 'string' ? GATEWAY_PROXIES.find((f) => f.controllerName === controller) : GATEWAY_PROXIES.find((f) => f.classNames.includes(className));
  if (!facts) {
    const known = GATEWAY_PROXIES.map((f) => `${f.classNames.join('/')} (${f.controllerName})`).join(', ');
    return { unknown: `Gateway ${namespace}/${name} is of GatewayClass ${className}${typeof controller === 'string' ? ` (controller ${controller})` : ''}, whose proxies' namespace and labels are not known (known: ${known})` };
  }
  return {
    gateway: name,
    gatewayNamespace: namespace,
    namespace: fill(facts.namespace, name, namespace),
    labels: Object.fromEntries(Object.entries(facts.podLabels).map(([k, v]) => [k, fill(v, name, namespace)])),
  };
}

/** Text for "add a NetworkPolicy that admits these peers". */
function peerText(peer: Pods, targetNamespace: string, labels = true): string {
  const pods = labels && Object.keys(peer.labels).length > 0 ? `pods ${yamlLabels(peer.labels)}` : 'every pod';
  return peer.namespace === targetNamespace ? `${pods} of the same namespace (podSelector)` : `${pods} of namespace ${peer.namespace} (namespaceSelector kubernetes.io/metadata.name: ${peer.namespace}${labels && Object.keys(peer.labels).length > 0 ? ' with a podSelector' : ''})`;
}

type Report = (severity: 'error' | 'warning', subject: Subject, message: string) => void;

// ---------------------------------------------------------------------------------------------------
// a. HTTP-01 solvers

interface Solver {
  selector?: { matchLabels?: Labels; dnsNames?: string[]; dnsZones?: string[] };
  http01?: { gatewayHTTPRoute?: { parentRefs?: ParentRef[]; podTemplate?: { metadata?: { labels?: Labels } } }; ingress?: unknown };
  dns01?: unknown;
}
interface ParentRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}
interface CertificateLike {
  namespace: string;
  name: string;
  dnsNames: string[];
  labels: Labels;
  annotations: Labels;
  issuerRef: { name?: string; kind?: string; group?: string };
  /** Where to report: the Certificate, or the Gateway cert-manager makes it for. */
  subject: Subject;
  describe: string;
}

/** Labels from the right that two DNS names share (miekg/dns CompareDomainName, case-insensitive). */
function commonLabels(a: string, b: string): number {
  const la = a.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean).reverse();
  const lb = b.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean).reverse();
  let n = 0;
  while (n < la.length && n < lb.length && la[n] === lb[n]) n++;
  return n;
}
const countLabels = (name: string) => name.replace(/\.$/, '').split('.').filter(Boolean).length;

/**
 * The solver cert-manager picks for one identifier (cert-manager v1.21.1 pkg/util/solverpicker/solverpicker.go,
 * selectors in pkg/controller/acmeorders/selectors): the most specific selector wins (dnsNames, then
 * dnsZones, then matchLabels), the first of equals. The ACME server offers http-01 and dns-01 for a name,
 * only dns-01 for a wildcard.
 */
export function pickSolver(solvers: Solver[], domain: string, labels: Labels): Solver | undefined {
  const offered = domain.startsWith('*.') ? ['dns-01'] : ['http-01', 'dns-01'];
  const usable = (s: Solver) => (s.http01 !== undefined && offered.includes('http-01')) || (s.dns01 !== undefined && offered.includes('dns-01'));
  let selected: Solver | undefined;
  let sel = { labels: 0, names: 0, zones: 0 };
  for (const s of solvers) {
    if (!usable(s)) continue;
    if (!s.selector) {
      if (!selected) selected = s;
      continue;
    }
    const required = Object.entries(s.selector.matchLabels ?? {});
    const labelsMatch = required.every(([k, v]) => labels[k] === v);
    const nLabels = labelsMatch ? required.length : 0;
    const names = s.selector.dnsNames ?? [];
    const namesMatch = names.length === 0 || names.includes(domain);
    const nNames = names.length > 0 && names.includes(domain) ? 1 : 0;
    const zones = s.selector.dnsZones ?? [];
    const nZones = Math.max(0, ...zones.filter((z) => commonLabels(z, domain) === countLabels(z)).map((z) => commonLabels(z, domain)));
    const zonesMatch = zones.length === 0 || nZones > 0;
    if (!labelsMatch || !namesMatch || !zonesMatch) continue;
    const take = () => {
      selected = s;
      sel = { labels: nLabels, names: nNames, zones: nZones };
    };
    if (!selected) {
      take();
      continue;
    }
    const selNames = sel.names > 0;
    const hasNames = nNames > 0;
    if (!selNames && hasNames) take();
    else if (selNames && !hasNames) continue;
    else if (selNames && hasNames) {
      if (nZones > sel.zones) take();
      else if (sel.zones > nZones) continue;
      else if (nLabels > sel.labels) take();
    } else {
      const selZones = sel.zones > 0;
      const hasZones = nZones > 0;
      if (!selZones && hasZones) take();
      else if (selZones && !hasZones) continue;
      else if (selZones && hasZones) {
        if (nZones > sel.zones) take();
        else if (sel.zones > nZones) continue;
        else if (nLabels > sel.labels) take();
      } else if (nLabels > sel.labels) take();
    }
  }
  return selected;
}

/** Certificates in the repository, and those cert-manager's gateway-shim makes for annotated Gateways (v1.21.1 pkg/controller/certificate-shim/sync.go). */
function certificates(cluster: Cluster): CertificateLike[] {
  const out: CertificateLike[] = [];
  for (const s of cluster.of('Certificate', 'cert-manager.io')) {
    const o = s.object;
    const spec = (o.spec ?? {}) as { dnsNames?: string[]; commonName?: string; issuerRef?: CertificateLike['issuerRef'] };
    out.push({
      namespace: namespaceOf(o),
      name: o.metadata!.name!,
      dnsNames: [...new Set([...(spec.dnsNames ?? []), ...(spec.commonName ? [spec.commonName] : [])])],
      labels: o.metadata?.labels ?? {},
      annotations: o.metadata?.annotations ?? {},
      issuerRef: spec.issuerRef ?? {},
      subject: s,
      describe: `Certificate ${namespaceOf(o)}/${o.metadata!.name}`,
    });
  }
  for (const s of cluster.of('Gateway', 'gateway.networking.k8s.io')) {
    const gw = s.object;
    const a = gw.metadata?.annotations ?? {};
    const issuerName = a['cert-manager.io/cluster-issuer'] ?? a['cert-manager.io/issuer'];
    if (!issuerName) continue;
    const kind = a['cert-manager.io/issuer-kind'] ?? (a['cert-manager.io/cluster-issuer'] !== undefined ? 'ClusterIssuer' : 'Issuer');
    const ignored = (a['cert-manager.io/ignore-tls-listeners'] ?? '').split(',').map((l) => l.trim());
    const ns = namespaceOf(gw);
    const hosts = new Map<string, string[]>();
    for (const l of (get(gw, 'spec.listeners') as { name?: string; protocol?: string; hostname?: string; tls?: { mode?: string; certificateRefs?: { name?: string; namespace?: string; kind?: string; group?: string }[] } }[] | undefined) ?? []) {
      if (l.protocol !== 'HTTPS' && l.protocol !== 'TLS') continue;
      if ((l.tls?.mode ?? 'Terminate') !== 'Terminate' || ignored.includes(l.name ?? '') || !l.hostname || !l.tls?.certificateRefs?.length) continue;
      const refs = l.tls.certificateRefs;
      if (refs.some((r) => !['', 'core'].includes(r.group ?? '') || !['', 'Secret'].includes(r.kind ?? 'Secret') || (r.namespace !== undefined && r.namespace !== ns))) continue;
      for (const r of refs) if (r.name) hosts.set(r.name, [...(hosts.get(r.name) ?? []), l.hostname]);
    }
    for (const [secret, dnsNames] of hosts) {
      out.push({
        namespace: ns,
        name: secret,
        dnsNames: [...new Set(dnsNames)],
        labels: gw.metadata?.labels ?? {},
        annotations: { 'acme.cert-manager.io/http01-parentrefkind': 'Gateway', 'acme.cert-manager.io/http01-parentrefname': gw.metadata!.name! },
        issuerRef: { name: issuerName, kind, group: a['cert-manager.io/issuer-group'] },
        subject: s,
        describe: `Certificate ${ns}/${secret} (which cert-manager makes for Gateway ${ns}/${gw.metadata!.name})`,
      });
    }
  }
  return out;
}

/** The HTTPRoute parents of a solver, after the Certificate's parentRef annotations (cert-manager v1.21.1 acmeorders/util.go applyGatewayAPIAnnotationParentRefOverride). */
function solverParents(parentRefs: ParentRef[], cert: CertificateLike): ParentRef[] {
  const name = cert.annotations['acme.cert-manager.io/http01-parentrefname'];
  const kind = cert.annotations['acme.cert-manager.io/http01-parentrefkind'];
  if (name === undefined || kind === undefined) return parentRefs;
  const namespace = cert.annotations['acme.cert-manager.io/http01-parentrefnamespace'] || cert.namespace;
  return [...parentRefs.filter((p) => !(p.namespace === namespace && p.name === name && (p.kind === undefined || p.kind === kind))), { name, namespace, kind }];
}

function checkHttp01(cluster: Cluster, report: Report) {
  for (const cert of certificates(cluster)) {
    if (cluster.defaultDeny(cert.namespace).length === 0) continue;
    const ref = cert.issuerRef;
    if (!ref.name || (ref.group ?? 'cert-manager.io') !== 'cert-manager.io') continue;
    const kind = ref.kind ?? 'Issuer';
    const issuer = kind === 'ClusterIssuer' ? cluster.find('ClusterIssuer', 'cert-manager.io', ref.name) : kind === 'Issuer' ? cluster.find('Issuer', 'cert-manager.io', ref.name, cert.namespace) : undefined;
    const solvers = issuer ? (get(issuer.object, 'spec.acme.solvers') as Solver[] | undefined) : undefined;
    if (!solvers) continue;
    // One check per solver the Certificate's names use.
    const used = new Set<Solver>();
    for (const domain of cert.dnsNames) {
      const solver = pickSolver(solvers, domain, cert.labels);
      if (solver?.http01) used.add(solver);
    }
    for (const solver of used) {
      const route = solver.http01!.gatewayHTTPRoute;
      const target: Pods = { namespace: cert.namespace, labels: { ...(route?.podTemplate?.metadata?.labels ?? {}), [SOLVER.label]: 'true' } };
      const solverText = `the HTTP-01 solver pods (${SOLVER.label}=true) on TCP ${SOLVER.port}`;
      if (!route) {
        report('warning', cert.subject, `cannot check that namespace ${cert.namespace}, which denies ingress by default, admits the ingress controller to ${solverText} for ${cert.describe}: ${kind} ${ref.name} solves HTTP-01 through an Ingress, whose controller's pods are not known`);
        continue;
      }
      for (const parent of solverParents(route.parentRefs ?? [], cert)) {
        const parentNamespace = parent.namespace ?? cert.namespace;
        if ((parent.kind ?? 'Gateway') !== 'Gateway' || (parent.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') {
          report('warning', cert.subject, `cannot check that namespace ${cert.namespace}, which denies ingress by default, admits the proxies of ${parent.kind} ${parentNamespace}/${parent.name} to ${solverText} for ${cert.describe}: only Gateway parents are known`);
          continue;
        }
        const proxies = gatewayProxies(cluster, parent.name ?? '', parentNamespace);
        if ('unknown' in proxies) {
          report('warning', cert.subject, `cannot check that namespace ${cert.namespace}, which denies ingress by default, admits the Gateway's proxies to ${solverText} for ${cert.describe} (${kind} ${ref.name}): ${proxies.unknown}`);
          continue;
        }
        const verdict = cluster.admits(target, { number: SOLVER.port, name: SOLVER.portName, protocol: 'TCP' }, proxies);
        if (verdict === 'admitted') continue;
        const consequence = `cert-manager can never complete the challenge for ${cert.describe}`;
        const add = `add a NetworkPolicy in ${cert.namespace} that selects ${SOLVER.label}: "true" and admits ${peerText(proxies, cert.namespace)} on TCP ${SOLVER.port}`;
        report(
          verdict === 'ipBlock' ? 'warning' : 'error',
          cert.subject,
          `namespace ${cert.namespace} denies ingress by default and ${verdict === 'ipBlock' ? 'only an ipBlock (which not every CNI applies to pod addresses) admits' : 'no NetworkPolicy admits'} the Gateway ${proxies.gateway}'s proxies (${proxies.namespace}) to ${solverText}: ${consequence}; ${add}`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// b. CloudNativePG operator and instances

/** Where the CloudNativePG operator runs, and its pods' labels: its Deployment, else its Helm release, else the chart's default namespace. */
function cnpgOperator(cluster: Cluster): Pods {
  const chartLabels = (release: string): Labels => ({ 'app.kubernetes.io/name': CNPG.chart, 'app.kubernetes.io/instance': release });
  const podLabels = (o: K8sObject) => (get(o, 'spec.template.metadata.labels') as Labels | undefined) ?? {};
  const deployment = cluster.of('Deployment', 'apps').find((s) => podLabels(s.object)['app.kubernetes.io/name'] === CNPG.chart);
  if (deployment) return { namespace: namespaceOf(deployment.object), labels: podLabels(deployment.object) };
  // The chart's pod labels: chart-facts/cloudnative-pg/0.29.0.yaml (name cloudnative-pg, instance the release name).
  for (const { object } of cluster.subjects) {
    if (object.kind === 'HelmRelease' && group(object) === 'helm.toolkit.fluxcd.io') {
      const chart = get(object, 'spec.chart.spec.chart');
      const ociName = get(object, 'spec.chartRef.name');
      if (chart !== CNPG.chart && ociName !== CNPG.chart) continue;
      const target = (get(object, 'spec.targetNamespace') as string | undefined) ?? namespaceOf(object);
      const release = (get(object, 'spec.releaseName') as string | undefined) ?? (get(object, 'spec.targetNamespace') ? `${target}-${object.metadata?.name}` : object.metadata?.name ?? CNPG.chart);
      return { namespace: target, labels: chartLabels(release) };
    }
    if (object.kind === 'Application' && group(object) === 'argoproj.io') {
      const sources = [...((get(object, 'spec.sources') as { chart?: string; repoURL?: string; helm?: { releaseName?: string } }[] | undefined) ?? []), ...(object.spec?.source ? [object.spec.source as { chart?: string; repoURL?: string; helm?: { releaseName?: string } }] : [])];
      const source = sources.find((s) => s.chart === CNPG.chart || s.repoURL?.replace(/\/$/, '').endsWith(`/${CNPG.chart}`));
      const destination = get(object, 'spec.destination.namespace');
      if (!source || typeof destination !== 'string') continue;
      return { namespace: destination, labels: chartLabels(source.helm?.releaseName ?? object.metadata?.name ?? CNPG.chart) };
    }
  }
  return { namespace: CNPG.defaultNamespace, labels: chartLabels(CNPG.chart) };
}

function checkCloudNativePG(cluster: Cluster, report: Report) {
  const clusters = cluster.of('Cluster', 'postgresql.cnpg.io').filter((s) => cluster.defaultDeny(namespaceOf(s.object)).length > 0);
  if (clusters.length === 0) return;
  const operator = cnpgOperator(cluster);
  const roles = ['primary', 'replica'];
  for (const s of clusters) {
    const ns = namespaceOf(s.object);
    const name = s.object.metadata!.name!;
    const instances = `the instances of Cluster ${ns}/${name} (cnpg.io/cluster=${name})`;
    const select = `selects cnpg.io/cluster: ${name}`;
    const verdictFor = (peerOf: (role: string) => Pods | undefined, port: { port: number; name: string }) => {
      const verdicts = roles.flatMap((role) =>
        roles.map((peerRole) => cluster.admits({ namespace: ns, labels: cnpgInstanceLabels(s.object, role) }, { number: port.port, name: port.name, protocol: 'TCP' }, peerOf(peerRole) ?? { namespace: ns, labels: {} })),
      );
      return verdicts.includes('denied') ? 'denied' : verdicts.includes('ipBlock') ? 'ipBlock' : 'admitted';
    };
    const say = (verdict: Verdict, who: string, port: number, purpose: string, consequence: string, add: string) => {
      if (verdict === 'admitted') return;
      const admits = verdict === 'ipBlock' ? 'only an ipBlock (which not every CNI applies to pod addresses) admits' : 'no NetworkPolicy admits';
      report(verdict === 'ipBlock' ? 'warning' : 'error', s, `namespace ${ns} denies ingress by default and ${admits} ${who} on TCP ${port} (${purpose}): ${consequence}; add a NetworkPolicy in ${ns} that ${select} and admits ${add} on TCP ${port}`);
    };
    say(
      verdictFor(() => operator, CNPG.status),
      `the CloudNativePG operator (namespace ${operator.namespace}) to ${instances}`,
      CNPG.status.port,
      "the instance manager's status port",
      'the operator cannot read the instances\' status, so it can neither reconcile, back up nor fail over the cluster',
      peerText(operator, ns, false),
    );
    const self = (role: string) => ({ namespace: ns, labels: cnpgInstanceLabels(s.object, role) });
    say(verdictFor(self, CNPG.postgres), `${instances} to each other`, CNPG.postgres.port, 'PostgreSQL streaming replication', 'the replicas can neither clone nor follow the primary', `the pods cnpg.io/cluster: ${name} of the same namespace (podSelector)`);
    say(verdictFor(self, CNPG.status), `${instances} to each other`, CNPG.status.port, "the instance manager's status port", 'the instances cannot reach each other\'s instance manager, which switchover and failover use', `the pods cnpg.io/cluster: ${name} of the same namespace (podSelector)`);
  }
}

// ---------------------------------------------------------------------------------------------------
// c. Gateway to backend

const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'];
const WORKLOADS: [string, string][] = [['Deployment', 'apps'], ['StatefulSet', 'apps'], ['DaemonSet', 'apps'], ['ReplicaSet', 'apps']];

function checkBackends(cluster: Cluster, report: Report) {
  for (const kind of ROUTE_KINDS) {
    for (const route of cluster.of(kind, 'gateway.networking.k8s.io')) {
      const routeNs = namespaceOf(route.object);
      const routeName = `${kind} ${routeNs}/${route.object.metadata!.name}`;
      const parents = ((get(route.object, 'spec.parentRefs') as ParentRef[] | undefined) ?? []).filter((p) => (p.kind ?? 'Gateway') === 'Gateway' && (p.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' && p.name);
      const rules = (get(route.object, 'spec.rules') as { backendRefs?: { group?: string; kind?: string; name?: string; namespace?: string; port?: number }[] }[] | undefined) ?? [];
      const seen = new Set<string>();
      for (const ref of rules.flatMap((r) => r.backendRefs ?? [])) {
        if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service' || !ref.name) continue;
        const ns = ref.namespace ?? routeNs;
        if (cluster.defaultDeny(ns).length === 0) continue;
        // A Service not in the repository (one an operator creates): its pods are not known.
        const service = cluster.find('Service', '', ref.name, ns);
        const selector = service ? (get(service.object, 'spec.selector') as Labels | undefined) : undefined;
        if (!service || !selector || Object.keys(selector).length === 0) continue;
        const ports = (get(service.object, 'spec.ports') as { port?: number; targetPort?: number | string; protocol?: string; name?: string }[] | undefined) ?? [];
        const servicePort = ref.port === undefined ? (ports.length === 1 ? ports[0] : undefined) : ports.find((p) => p.port === ref.port);
        if (!servicePort?.port) continue;
        const key = `${ns}/${ref.name}:${servicePort.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const target = backendPods(cluster, ns, selector, servicePort.targetPort ?? servicePort.port, servicePort.protocol ?? 'TCP');
        const portText = `${target.port.protocol} ${target.port.number ?? target.port.name}${target.port.number !== undefined && target.port.name ? ` (${target.port.name})` : ''}`;
        for (const parent of parents) {
          const proxies = gatewayProxies(cluster, parent.name!, parent.namespace ?? routeNs);
          if ('unknown' in proxies) {
            report('warning', route, `cannot check that namespace ${ns}, which denies ingress by default, admits the Gateway's proxies to the pods behind Service ${ns}/${ref.name} (${labelText(selector)}) on ${portText} for ${routeName}: ${proxies.unknown}`);
            continue;
          }
          const verdict = cluster.admits(target.pods, target.port, proxies);
          if (verdict === 'admitted') continue;
          const admits = verdict === 'ipBlock' ? 'only an ipBlock (which not every CNI applies to pod addresses) admits' : 'no NetworkPolicy admits';
          report(
            verdict === 'ipBlock' ? 'warning' : 'error',
            route,
            `namespace ${ns} denies ingress by default and ${admits} the Gateway ${proxies.gateway}'s proxies (${proxies.namespace}) to the pods behind Service ${ns}/${ref.name} (${labelText(selector)}) on ${portText}: ${routeName} routes to them and its requests never connect; add a NetworkPolicy in ${ns} that selects ${yamlLabels(selector)} and admits ${peerText(proxies, ns)} on ${portText}`,
          );
        }
      }
    }
  }
}

/** The pods behind a Service: its selector's labels, with those of a workload in the repository whose pods it selects, and the target port (a named port resolved through that workload). */
function backendPods(cluster: Cluster, ns: string, selector: Labels, targetPort: number | string, protocol: string): { pods: Pods; port: PodPort } {
  let labels = { ...selector };
  let port: PodPort = typeof targetPort === 'number' ? { number: targetPort, protocol } : { name: targetPort, protocol };
  for (const [kind, apiGroup] of WORKLOADS) {
    const workload = cluster.of(kind, apiGroup).find((s) => namespaceOf(s.object) === ns && selects({ matchLabels: selector }, (get(s.object, 'spec.template.metadata.labels') as Labels | undefined) ?? {}));
    if (!workload) continue;
    labels = { ...((get(workload.object, 'spec.template.metadata.labels') as Labels | undefined) ?? {}), ...selector };
    const containerPorts = ((get(workload.object, 'spec.template.spec.containers') as { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[] | undefined) ?? []).flatMap((c) => c.ports ?? []);
    const match = containerPorts.find((p) => (typeof targetPort === 'number' ? p.containerPort === targetPort : p.name === targetPort) && (p.protocol ?? 'TCP') === protocol);
    if (match) port = { number: match.containerPort, name: match.name, protocol };
    break;
  }
  return { pods: { namespace: ns, labels }, port };
}

// ---------------------------------------------------------------------------------------------------

/**
 * Flows the platform needs into namespaces that deny ingress by default, each of which some
 * NetworkPolicy must admit. `objects`: everything one cluster applies (built).
 */
export function checkNetworkFlows(objects: { object: K8sObject; file: string }[]): Finding[] {
  const cluster = new Cluster(objects.filter((s) => s.object && typeof s.object === 'object'));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report: Report = (severity, subject, message) => {
    const key = `${severity}|${subject.file}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push((severity === 'error' ? error : warning)('facts', subject.file, message, { object: objectKey(subject.object) }));
  };
  checkHttp01(cluster, report);
  checkCloudNativePG(cluster, report);
  checkBackends(cluster, report);
  return findings;
}
