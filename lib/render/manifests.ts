/**
 * Small builders for the Kubernetes objects every engine needs. They return plain objects; the
 * caller serialises them with toYaml, so no value can break the YAML structure.
 */
import type { PodSecurityLevel } from '../catalog.js';
import { toYaml } from './template.js';

/** Annotation carrying the platform's free-text description (--description). */
export const DESCRIPTION_ANNOTATION = 'haven-plus/description';

export function namespaceObject(name: string, level: PodSecurityLevel, plan: { name: string; answers: { description?: string } }): Record<string, unknown> {
  const description = plan.answers.description;
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...podSecurityLabels(level),
        'app.kubernetes.io/part-of': plan.name,
      },
      ...(description ? { annotations: { [DESCRIPTION_ANNOTATION]: description } } : {}),
    },
  };
}

/**
 * A namespace's Pod Security labels: `enforce` at its component's level; `audit` at restricted, so the API
 * server's audit log records every pod that departs from it; `warn` at the enforced level, so an apply (the
 * GitOps engine's, an operator's creating its DaemonSets) is not answered with warnings about what the
 * component's podSecurityReason already accounts for (MetalLB's speaker, Falco's probe, the GPU operands).
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/warn': level,
  };
}

export function kustomization(resources: string[], patches: string[] = [], components: string[] = []): string {
  const doc: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources,
  };
  // kustomize applies components after the resources and before the kustomization's own patches.
  if (components.length > 0) doc.components = components;
  if (patches.length > 0) doc.patches = patches.map((path) => ({ path }));
  return toYaml(doc);
}

/** A kustomize Component: patches a kustomization takes in by listing it under `components`. */
export function kustomizeComponent(patches: string[], comment: string): string {
  return commentHeader(comment) + toYaml({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', patches: patches.map((path) => ({ path })) });
}

/** A comment as YAML comment lines (an empty line stays a bare `#`). */
const commentHeader = (comment?: string) => (comment ? comment.split('\n').map((l) => (l ? `# ${l}` : '#')).join('\n') + '\n' : '');

/** Serialises objects as one multi-document YAML file, with an optional leading comment. */
export function documents(objects: unknown[], comment?: string): string {
  return commentHeader(comment) + objects.map((o) => `---\n${toYaml(o)}`).join('');
}
