/**
 * What validation reports: a problem (or a warning) at a file, an object and a path. `unverified`: the
 * repository names something the pinned data does not hold (a chart version), so what the cluster gets
 * was checked against the nearest data only: not a proven error, not a pass (exit code 3).
 */
export type Severity = 'error' | 'unverified' | 'warning';
export type Check = 'yaml' | 'kustomize' | 'schema' | 'reference' | 'values' | 'secrets' | 'facts';

export interface Finding {
  severity: Severity;
  check: Check;
  file: string;
  /** Kind namespace/name of the object, where the finding is about one. */
  object?: string;
  /** JSON pointer into the object (or values), where it applies. */
  path?: string;
  message: string;
}

/** A Secret (or a secret store) the platform expects and the repository does not contain: the user creates it. */
export interface MustCreate {
  cluster: string;
  kind: 'Secret' | 'ClusterSecretStore' | 'SecretStore';
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  keys: string[];
  referencedBy: string[];
  /** What happens when it does not exist, where the software reading it makes one itself. */
  ifMissing?: string;
}

export const error = (check: Check, file: string, message: string, extra: Partial<Finding> = {}): Finding => ({ severity: 'error', check, file, message, ...extra });
export const unverified = (check: Check, file: string, message: string, extra: Partial<Finding> = {}): Finding => ({ severity: 'unverified', check, file, message, ...extra });
export const warning = (check: Check, file: string, message: string, extra: Partial<Finding> = {}): Finding => ({ severity: 'warning', check, file, message, ...extra });
