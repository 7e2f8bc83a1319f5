import { bech32 } from '@scure/base';

/**
 * Rules for every name and URL a user can give. They are strict on purpose: a value that passes
 * here is safe to place in a YAML scalar, a file path and a git argument without quoting tricks.
 */

export const DNS1123_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_ALLOWED =
  "lowercase letters a-z, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters";

/** A problem description, or undefined when the value is a valid DNS-1123 label (RFC 1123, starting with a letter). */
export function checkDnsLabel(value: string, max = 63): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > max) return `${quote(value)} is ${value.length} characters long; the limit is ${max}`;
  if (!DNS1123_LABEL.test(value)) return `${quote(value)} is not a DNS-1123 label`;
  return undefined;
}

/** Branch names: a conservative subset of git-check-ref-format that never needs shell or YAML quoting. */
const BRANCH = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
export const BRANCH_ALLOWED = "letters, digits, '.', '_', '-' and '/', not starting or ending with a separator, no '..' or '//', at most 100 characters";
export function checkBranch(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 100) return `is ${value.length} characters long; the limit is 100`;
  if (!BRANCH.test(value) || value.includes('..') || value.includes('//') || value.endsWith('.lock')) {
    return `${quote(value)} is not a branch name this tool accepts`;
  }
  return undefined;
}

export const GIT_REMOTE_ALLOWED =
  'https://host/path.git, ssh://git@host/path.git, git@host:path.git, git://host/path.git or file:///path, without embedded credentials';
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+$/;
const SAFE_URL_CHARS = /^[A-Za-z0-9._~:/@%+-]+$/;

/** Validates a git remote URL; refuses credentials, whitespace, control and shell characters. */
export function checkGitRemote(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 512) return `is ${value.length} characters long; the limit is 512`;
  if (SCP_LIKE.test(value)) return undefined;
  if (!SAFE_URL_CHARS.test(value)) return `${quote(value)} contains characters that are not allowed in a git remote URL`;
  const mixed = mixedSshForm(value);
  if (mixed) return `${quote(value)} puts a path where an ssh:// URL has its port; write ${quote(mixed)} (or the scp-like form without ssh://)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quote(value)} is not a URL`;
  }
  if (!['https:', 'http:', 'ssh:', 'git:', 'file:'].includes(url.protocol)) {
    return `the scheme ${quote(url.protocol.replace(/:$/, ''))} is not supported`;
  }
  if (url.password || (url.username && url.protocol !== 'ssh:')) {
    return 'contains credentials; never put a password or token in the remote URL (use a credential helper, a deploy key or SSH)';
  }
  if (url.protocol === 'file:') return url.pathname.length > 1 ? undefined : 'has no path';
  if (!url.hostname) return 'has no host';
  return undefined;
}

/** Whether a git remote is reached over SSH (an ssh:// URL or the scp-like form). */
export const isSshRemote = (remote: string) => remote.startsWith('ssh://') || SCP_LIKE.test(remote);

/**
 * `ssh://git@host:group/repo.git` mixes the two SSH forms: a URL's colon starts a port. Caught before
 * URL parsing so the message can give the form that works.
 */
function mixedSshForm(value: string): string | undefined {
  const m = /^ssh:\/\/([^/@]+@)?([^/:]+):([^/]*[^0-9/][^/]*)\/(.*)$/.exec(value);
  return m ? `ssh://${m[1] ?? ''}${m[2]}/${m[3]}/${m[4]}` : undefined;
}

/**
 * The URL Flux clones. source-controller's GitRepository takes only `http(s)://` and `ssh://` URLs (its
 * CRD's `spec.url` pattern `^(http|https|ssh)://.*$`; docs/spec/v1/gitrepositories.md: "the shorter
 * scp-like syntax is not supported"), and `flux bootstrap git --url` parses the URL the same way. The
 * scp-like form GitLab and GitHub show, `git@host:group/repo.git`, is the same address as
 * `ssh://git@host/group/repo.git`. Undefined for a remote no cluster can clone (`git://`, `file://`).
 */
export function fluxGitUrl(remote: string): string | undefined {
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):\/?(.*)$/.exec(remote);
  if (scp && SCP_LIKE.test(remote)) return `ssh://${scp[1]}@${scp[2]}/${scp[3]}`;
  return /^(https?|ssh):\/\//.test(remote) ? remote : undefined;
}

export const ENDPOINT_ALLOWED = 'an https:// URL (http:// only for in-cluster services), without credentials, path or query';
export function checkEndpoint(value: string): string | undefined {
  if (!SAFE_URL_CHARS.test(value)) return `${quote(value)} contains characters that are not allowed in an endpoint URL`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quote(value)} is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `the scheme ${quote(url.protocol)} is not http(s)`;
  if (url.username || url.password) return 'contains credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'has a path, query or fragment';
  return undefined;
}

export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_ALLOWED = "lowercase letters a-z, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters";
export function checkDnsSubdomain(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 253) return `${quote(value)} is ${value.length} characters long; the limit is 253`;
  if (!DNS1123_SUBDOMAIN.test(value)) return `${quote(value)} is not a DNS-1123 subdomain`;
  return undefined;
}

export const AGE_RECIPIENT_ALLOWED = 'an age X25519 public key: "age1" followed by 58 lowercase bech32 characters (age-keygen -y prints it)';
/** An age X25519 recipient: bech32 with HRP "age" and a 32-byte key, checksum verified. */
export function checkAgeRecipient(value: string): string | undefined {
  if (!/^age1[02-9ac-hj-np-z]{58}$/.test(value)) return `${quote(value)} is not an age recipient`;
  try {
    const { prefix, words } = bech32.decode(value as `${string}1${string}`);
    if (prefix !== 'age' || bech32.fromWords(words).length !== 32) return `${quote(value)} is not an age X25519 recipient`;
  } catch {
    return `${quote(value)} is not an age recipient (bad checksum: a character is wrong or missing)`;
  }
  return undefined;
}

export const DESCRIPTION_ALLOWED = 'one line of printable text (any language), at most 200 characters';
/** Free text: anything printable on one line. It is only ever emitted through a YAML/Markdown serialiser. */
export function checkDescription(value: string): string | undefined {
  if ([...value].length > 200) return `is ${[...value].length} characters long; the limit is 200`;
  // Control characters (newlines, tabs, escape sequences), bidi overrides and other format characters.
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(value)) return `${quote(value)} contains control or invisible formatting characters`;
  if (value.trim() !== value) return 'has leading or trailing spaces';
  return undefined;
}

/** JSON quoting: shows the user exactly what was received, control characters included. */
export function quote(value: unknown): string {
  return JSON.stringify(value);
}

export const EMAIL_ALLOWED = 'an email address local@domain.tld (printable ASCII, no spaces, at most 254 characters)';

/** An ACME account email: what Let's Encrypt accepts, nothing that could leave a YAML scalar. */
export function checkEmail(value: string): string | undefined {
  if (value.length > 254) return `${JSON.stringify(value)} is longer than 254 characters`;
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 1 || !/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return `${JSON.stringify(value)} is not an email address`;
  }
  if (checkDnsSubdomain(domain.toLowerCase()) || !domain.includes('.')) return `${JSON.stringify(value)} has no valid domain after @`;
  return undefined;
}

/** Keycloak's hostname on a cluster: {cluster} in the pattern replaced by the cluster's name. */
export const keycloakHostname = (pattern: string, cluster: string) => pattern.replaceAll('{cluster}', cluster);

/** Names for a one-line summary: all of a few, or the first three and how many more (fleets of hundreds). */
export function abbreviate(names: string[], noun = ''): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more${noun ? ` ${noun}` : ''}`;
}

export const REGISTRY_MIRROR_ALLOWED = 'a registry host with an optional port and path, without scheme or credentials, e.g. harbor.gemeente.example.nl/dockerhub';
const REGISTRY_MIRROR = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** A registry mirror: host[:port][/path], lowercase (an image reference's registry and path), nothing else. */
export function checkRegistryMirror(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 200) return `is ${value.length} characters long; the limit is 200`;
  if (/^[a-z]+:\/\//i.test(value)) return `${quote(value)} has a scheme; give the registry as it stands in an image reference, without https://`;
  if (!REGISTRY_MIRROR.test(value)) return `${quote(value)} is not a registry host[:port][/path]`;
  const host = value.split('/')[0].split(':')[0];
  if (!host.includes('.') && host !== 'localhost') return `${quote(value)} has no dot in its host: an image reference would read it as a Docker Hub namespace`;
  return undefined;
}
