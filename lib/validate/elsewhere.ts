/**
 * Objects made outside the repository (`validate --exists`): a Namespace, ConfigMap or Secret that another
 * repository's script, a platform team or a cloud's set-up makes on every cluster, which the repository
 * reads but cannot hold (equinor/radix-flux's `radix-flux-config`, made by equinor/radix-platform's cluster
 * scripts; a namespace the Akuity platform makes). Said once, they are taken to exist: a namespace is
 * created, a `substituteFrom` ConfigMap gives variables whose values are not known here, a Secret is no
 * longer one "You must create".
 */
import { HavenPlusError } from '../errors.js';
import { checkDnsSubdomain, isNamespaceName } from '../names.js';

export interface MadeElsewhere {
  kind: 'Namespace' | 'ConfigMap' | 'Secret';
  /** Undefined for a Namespace. */
  namespace?: string;
  name: string;
}

const KINDS: Record<string, MadeElsewhere['kind']> = { namespace: 'Namespace', ns: 'Namespace', configmap: 'ConfigMap', cm: 'ConfigMap', secret: 'Secret' };
const isSubdomain = (v: string) => checkDnsSubdomain(v) === undefined;
export const EXISTS_FORMS = 'Namespace/<name>, ConfigMap/<namespace>/<name> or Secret/<namespace>/<name>';

/** `Namespace/x`, `ConfigMap/ns/x`, `Secret/ns/x` (kinds in any case; ns, cm), or an error naming what is allowed. */
export function parseMadeElsewhere(text: string): MadeElsewhere {
  const refuse = (problem: string) => new HavenPlusError(`validate --exists ${JSON.stringify(text)}: ${problem}; allowed: ${EXISTS_FORMS}`, 2);
  const parts = text.trim().split('/');
  const kind = KINDS[parts[0]?.toLowerCase() ?? ''];
  if (!kind) throw refuse(`${JSON.stringify(parts[0] ?? '')} is not a kind it takes`);
  if (kind === 'Namespace') {
    if (parts.length !== 2) throw refuse('a Namespace is Namespace/<name>');
    if (!isNamespaceName(parts[1])) throw refuse(`${JSON.stringify(parts[1])} is no namespace name (lower-case letters, digits and -, at most 63)`);
    return { kind, name: parts[1] };
  }
  if (parts.length !== 3) throw refuse(`a ${kind} is ${kind}/<namespace>/<name>`);
  if (!isNamespaceName(parts[1])) throw refuse(`${JSON.stringify(parts[1])} is no namespace name (lower-case letters, digits and -, at most 63)`);
  if (!isSubdomain(parts[2])) throw refuse(`${JSON.stringify(parts[2])} is no ${kind} name (lower-case letters, digits, - and ., at most 253)`);
  return { kind, namespace: parts[1], name: parts[2] };
}

export const describeElsewhere = (m: MadeElsewhere) => `${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
