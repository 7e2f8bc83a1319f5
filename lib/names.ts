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

/**
 * A Kubernetes namespace's name: an RFC 1123 label, which may start with a digit (apimachinery
 * ValidateNamespaceName: IsDNS1123Label, `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63): `1password`. Names this
 * tool gives are stricter (checkDnsLabel); names a repository already uses are taken as Kubernetes takes them.
 */
export const isNamespaceName = (value: string) => value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);

/**
 * Branch names: exactly what `git check-ref-format --branch` accepts (git 2.39: refs.c
 * check_refname_component/check_or_sanitize_refname on "refs/heads/<name>", plus object-name.c
 * strbuf_check_branch_ref: no leading '-', not HEAD), minus what the generated files cannot carry
 * verbatim: the name stands unquoted in shell commands in the clusters' README (`flux bootstrap git
 * --branch=<name>`), in a single-quoted assignment in sandbox/sandbox.sh and in Markdown code spans, so
 * shell metacharacters and quotes are refused too; so are invisible, space-like, control and unassigned
 * Unicode characters, and the name '@' (HEAD in git's revision syntax). Non-ASCII letters are accepted, as git does.
 */
const BRANCH = {
  /** Characters git refuses anywhere (refs.c refname_disposition: 4 and 5): controls, DEL, space, ~ ^ : ? * [ \. */
  gitForbidden: /[\x00-\x20\x7f~^:?*[\\]/u,
  /** Characters git accepts but a shell reading `--branch=<name>` unquoted (or '<name>' in single quotes) would interpret. */
  shellUnsafe: /[!"$&'()`;<>|{}]/u,
  /** Other, lone surrogates, private use, unassigned (C*) and separators (Z*): invisible or look-alike in a README. */
  unicodeUnsafe: /[\p{C}\p{Z}]/u,
};
export const BRANCH_ALLOWED =
  "a git branch name (as git check-ref-format --branch checks it): letters of any script, digits and punctuation, " +
  "'/' between components; no space, control character, backslash or any of ~ ^ : ? * [ ; no component starting with '.' or " +
  "ending in '.lock'; no '..', '//' or '@{'; not starting with '-' or '/', not ending in '/' or '.', not HEAD or @; " +
  'and, because the name is written unquoted into shell commands in the generated READMEs, none of ! " $ & \' ( ) ; < > | { } and no backquote; ' +
  'no invisible or space-like Unicode character; at most 100 characters';

/**
 * A problem description naming the rule `value` breaks, or undefined when it is a branch name this tool
 * accepts. git's own rules are checked first, so a name git refuses is told git's reason; the refusals
 * that are this tool's own say "git allows it, but".
 */
export function checkBranch(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  const shown = branchQuote(value);
  const length = [...value].length;
  if (length > 100) return `${shown} is ${length} characters long; the limit is 100`;
  // object-name.c strbuf_check_branch_ref
  if (value.startsWith('-')) return `${shown} starts with "-", which git refuses at the start of a branch name (it would read as an option)`;
  if (value === 'HEAD') return `${shown} is reserved: git refuses a branch named HEAD`;
  // refs.c check_refname_component and check_or_sanitize_refname, on "refs/heads/<name>"
  for (const ch of value) {
    if (!BRANCH.gitForbidden.test(ch)) continue;
    const what = ch === ' ' ? 'a space' : ch < ' ' || ch === '\x7f' ? `a control character (${codePoint(ch)})` : quote(ch);
    return `${shown} contains ${what}, which git does not allow in a branch name`;
  }
  if (value.startsWith('/')) return `${shown} starts with "/"`;
  if (value.endsWith('/')) return `${shown} ends with "/"`;
  if (value.includes('//')) return `${shown} contains "//" (an empty component)`;
  if (value.includes('..')) return `${shown} contains ".."`;
  if (value.includes('@{')) return `${shown} contains "@{" (git's reflog syntax)`;
  for (const component of value.split('/')) {
    if (component.startsWith('.')) return `${shown} has a component starting with "." (${quote(component)})`;
    if (component.endsWith('.lock')) return `${shown} has a component ending in ".lock" (${quote(component)})`;
  }
  if (value.endsWith('.')) return `${shown} ends with "."`;
  // This tool's own refusals.
  if (value === '@') return `${shown} alone means HEAD in git commands: git allows it, but this tool does not`;
  for (const ch of value) {
    if (BRANCH.shellUnsafe.test(ch)) {
      return `${shown} contains ${quote(ch)}: git allows it, but the name is written unquoted into shell commands in the generated READMEs`;
    }
    if (BRANCH.unicodeUnsafe.test(ch)) {
      return `${shown} contains ${codePoint(ch)} (${unicodeKind(ch)}): git allows it, but it is invisible or misleading in the generated READMEs`;
    }
  }
  return undefined;
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** quote(), with the characters JSON leaves raw but a terminal would hide or act on (bidi overrides, U+2028, C1 controls) escaped. */
const branchQuote = (value: string) =>
  quote(value).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

function unicodeKind(ch: string): string {
  if (/\p{Cc}/u.test(ch)) return 'a control character';
  if (/\p{Cf}/u.test(ch)) return 'an invisible formatting character';
  if (/\p{Cs}/u.test(ch)) return 'a lone surrogate, not valid Unicode text';
  if (/\p{Z}/u.test(ch)) return 'a space-like character';
  return 'a private-use or unassigned code point';
}

export const GIT_REMOTE_ALLOWED =
  'https://host/path.git, ssh://git@host/path.git, git@host:path.git, git://host/path.git (Argo CD only) or file:///path (Flux only: pushed to), without embedded credentials';
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

/**
 * A remote the engine cannot fetch from inside the cluster: git:// for Flux (its GitRepository takes http,
 * https and ssh URLs only), file:// for Argo CD (a path on this machine; every Application points at the URL).
 * Checked where the remote is asked as well as after, by the same rule.
 */
export function engineRemoteProblem(engine: string | undefined, remote: string): { problem: string; allowed: string } | undefined {
  const same = 'the https:// or ssh:// URL of the same repository, e.g. ssh://git@gitlab.example.nl/platform/gitops.git or git@gitlab.example.nl:platform/gitops.git';
  if (engine === 'flux' && remote.startsWith('git://')) return { problem: `${JSON.stringify(remote)} is a git:// URL, which Flux cannot clone (its GitRepository takes http, https and ssh URLs only)`, allowed: same };
  if (engine === 'argocd' && remote.startsWith('file://')) return { problem: `${JSON.stringify(remote)} is a path on this machine, which Argo CD cannot fetch: it clones the repository from inside the cluster, over https or ssh`, allowed: same };
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

export const VALIDATOR_ALLOWED =
  'the npm package at an exact version (generator-haven-plus@0.1.0, the default: this version), an https:// URL of a packed tarball your organisation hosts (…/generator-haven-plus-0.1.0.tgz), or a git+https:// URL with a tag or commit (git+https://gitlab.example.nl/tools/generator-haven-plus.git#v0.1.0); no credentials';
const NPM_EXACT = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const TARBALL_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%+-]+)+\.tgz$/;
const GIT_URL = /^git\+(https|ssh):\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%+-]+)+#[A-Za-z0-9._/-]+$/;

/**
 * Where the generated CI and README get `haven-plus validate` (`npx --package=<this>`): written into YAML and
 * shell, so only these three shapes, of these characters, are taken.
 */
export function checkValidator(value: string): string | undefined {
  if (value.length > 300) return `is ${value.length} characters long; the limit is 300`;
  if (/^https:\/\/[^/]*@|^git\+https:\/\/[^/]*@/.test(value)) return `${quote(value)} holds credentials; CI authenticates with its own token (a .npmrc or a git credential helper), never through this URL`;
  if (NPM_EXACT.test(value) || TARBALL_URL.test(value) || GIT_URL.test(value)) return undefined;
  if (/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(@[^\s]*)?$/.test(value)) return `${quote(value)} does not pin an exact version: CI would take whatever is published that day`;
  if (/^git\+/.test(value)) return `${quote(value)} does not name a tag or commit after #: CI would take whatever the branch holds that day`;
  return `${quote(value)} is not a package at an exact version, an https:// .tgz URL or a git+https:// URL with #ref`;
}
