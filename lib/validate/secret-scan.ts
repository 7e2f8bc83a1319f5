/**
 * A secret scan: private keys and cloud and forge tokens in every file; `password:`-style keys with
 * literal values and Secrets with plaintext data in the files a cluster applies (`applied`; a CI workflow's
 * `password: ${{ secrets.X }}` is not a credential). Encrypted values (SOPS `ENC[...]`) and references
 * (a Secret's key name, `${VAR}`, `$VAR` (Grafana provisioning), `!env_var VAR` (recyclarr, Home Assistant's
 * `!secret`), `{{ … }}`, `op://…`, `vault:…`, `ref+…`, … : PLACEHOLDER) pass. A
 * platform repository must never hold a credential in the clear. What SOPS leaves in the clear by the
 * file's own rules is no edit after encryption; which objects kustomize-controller decrypts whole is here too.
 */
import type { FileSet } from '../fileset.js';
import { objectKey, objectsOf, type K8sObject } from './build.js';
import { error, type Finding } from './findings.js';

const TOKENS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/AGE-SECRET-KEY-1[0-9A-Z]{58}/, 'an age private key'],
  // Not AWS's documented example key (AKIAIOSFODNN7EXAMPLE): IDs ending in EXAMPLE.
  [/\b(AKIA|ASIA)(?![0-9A-Z]{9}EXAMPLE\b)[0-9A-Z]{16}\b/, 'an AWS access key ID'],
  [/\bglpat-[0-9A-Za-z_-]{20,}\b/, 'a GitLab personal access token'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
];
/** Keys that hold a credential when given a literal (adminPassword, secretAccessKey, apiToken, …). */
const SECRET_KEYS = /^\s*(?:-\s*)?["']?([A-Za-z0-9_]*?(?:password|passwd|secretKey|secret_key|secretAccessKey|secret_access_key|accessKeySecret|token|apiKey|api_key|clientSecret|client_secret))["']?\s*:\s*(.+?)\s*$/i;
/**
 * Values that are no credential: empty, block and JSON starts, booleans, numbers, encrypted, and
 * references: templated (`${…}`, `$${…}` escaped for Flux, `{{ … }}`), a pod's `$(VAR)`, secret-manager
 * URIs, LiteLLM's `os.environ/VAR`, `{env:VAR}`, `{VAR}` (Frigate), Argo CD's `$secret:key` and `$key` (argocd-cm and
 * notifications read argocd-secret so; a dotted key in any case, `$oidc.keycloak.clientSecret`, as its docs write them; `$uperS3cret` stays a literal), and an
 * environment variable's name (`GITHUB_TOKEN`).
 */
const PLACEHOLDER = /^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|-?\d+(\.\d+)?([eE][-+]?\d+)?|\{\}?|\[\]?|[|>][-+]?|ENC\[.*\]|\$?\$\{.*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|<.*>|\{\{.*\}\}|(op|vault|awssm|gcpsm|azkv|sops):\/\/.*|ref\+.*|vault:.*|os\.environ\/.*|\{env:[^}]*\}|\{[A-Z_][A-Z0-9_]*\}|\$[a-z][a-z0-9.-]*(:[\w.-]+)?|\$[a-z][\w-]*(\.[\w-]+)+|\$[A-Z_][A-Z0-9_]*|!(env_var|env|secret|include|file)\s+\S+|\$__(env|file|vault)\{[^}]*\}|env:[A-Za-z_][A-Za-z0-9_]*|[A-Z][A-Z0-9]*(_[A-Z][A-Z0-9]*)+)$/;
/** Keys that name a key of a Secret rather than hold a value (passwordKey, clientSecretKey, tokenKey, …), or count tokens (cost_per_token). */
/**
 * A variable that names the key a Secret holds a credential under (`…_SEC_KEY_TOKEN: token`, the key in the
 * Secret `…_SEC_NAME` names, PingCAP-QE/ee-ops): a key name as its value, never a credential's look.
 */
const KEY_NAME_VARIABLE = /(?:^|_)KEY_(?:TOKEN|PASSWORD|PASSWD|SECRET)$/;
/** A key's name: the credential's word, alone or after a separator (`token`, `admin-password`), never a word like `confluent`. */
const KEY_NAME_VALUE = /^(?:[a-z0-9]+[-_.])*(?:token|password|passwd|secret)$/;
const NOT_A_CREDENTIAL_KEY = /(?:[Pp]assword|[Pp]asswd|[Tt]oken|[Aa]pi[Kk]ey)Key$|(?:password|token)_key$|[Pp]er_?[Tt]oken$|[Mm]ax_?[Tt]okens?$|^existing[Ss]ecret/;
/**
 * Maps whose values are names: of a Secret's keys (bitnami-style `auth.secretKeys.password: db-password`), of
 * cookies (Envoy Gateway's `oidc.cookieNames.idToken`).
 */
const KEY_NAME_MAP = /(?:^|[a-z])(?:secret|Secret)Keys$|^existingSecretKeys$|^secretKeyRefs?$|^cookieNames$/;
/** Maps whose values are key names when their parent is a Secret's (pocket-id-operator's `spec.secret.keys.clientSecret: client_secret`). */
const KEY_NAME_MAP_UNDER_SECRET = /^keys$/;
/**
 * Durations, which token lifetimes are (Authelia's `lifespans.access_token: '1 hour'`, `refresh_token: 90d`,
 * Go's `1h30m`).
 */
const DURATION = /^(?:\d+(?:\.\d+)?\s*(?:ns|us|µs|ms|s|m|h|d|w|y|M|secs?|seconds?|mins?|minutes?|hours?|days?|weeks?|months?|years?)(?:\s*,\s*|\s+and\s+|\s+)?)+$/;
/**
 * A value that is code, not a literal: an unquoted identifier or property path followed by `,` or `;` (a
 * JavaScript object in a block scalar: `password: token,`), or indexed with a quoted key (a Python dictionary's
 * `'OAUTH2_CLIENT_SECRET': os.environ['OAUTH2_CLIENT_SECRET'],`). YAML would read the comma as part of a string,
 * and JSON quotes its strings, so neither writes a literal so.
 */
const CODE_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:\[\s*(?:"[^"]*"|'[^']*')\s*\])?\s*[,;]$/;
/**
 * A value that is a function call, not a literal: a method or namespaced call (`os.getenv("OIDC_CLIENT_SECRET", ""),`, a
 * Python dictionary in a block scalar; `os.environ.get("X")`; SurrealQL's `string::lowercase(rand::string(24)),`,
 * rcaelers/workrave-infra), one call inside another allowed, or a call with quoted arguments
 * (`getenv("X")`), a trailing `,` or `;` allowed. A plain `Pa55(word)` is neither.
 */
const CODE_CALL = /^(?:[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)+\((?:[^()]|\([^()]*\))*\)|[A-Za-z_$][\w$]*\(\s*(?:"[^"]*"|'[^']*')[^()]*\))\s*[,;]?$/;
/**
 * A YAML anchor before a value (`PASSWORD: &pgpass` and the mapping on the lines after it; `&pass literal`),
 * and an alias (`PASSWORD: *pgpass`, the anchored node again, judged where it is anchored): YAML 1.2 §6.9.2
 * (a node's anchor property), §7.1 (alias nodes); a plain scalar cannot start with `&` or `*`.
 */
const ANCHOR = /^&[^\s,[\]{}]+(?:\s+|$)/;
const ALIAS = /^\*[^\s,[\]{}]+$/;
/** An unquoted flow mapping (`password: {name: metrics, key: password}`, a SecretKeySelector): a map, not a literal. */
const FLOW_MAPPING = /^\{.*\}$/;
/** A flow sequence of two or more lowercase names (Authelia's `id_token: ['email', 'groups']`, claim names): a list, not a literal. */
const NAME_LIST = /^\[\s*(["']?)[a-z][a-z0-9_.:-]*\1(?:\s*,\s*(["']?)[a-z][a-z0-9_.:-]*\2)+\s*,?\s*\]$/;
/**
 * A word that says there is no credential (`OPENAI_API_KEY: dummy` for a local proxy that checks none, `bearerToken:
 * unused`), or that none is required (`sk-no-key-required`, `llama-cpp-no-key-required`: what an OpenAI client is
 * given for a local llama.cpp server that takes no key).
 */
const NO_CREDENTIAL_WORD = /^(?:sk-)?(?:dummy|unused|none|placeholder|not[-_ ]?(?:used|needed|required|set)|redacted)$|^(?:[a-z0-9]+[-_])*no[-_]?(?:key|token|auth|api[-_]?key|password)[-_]?(?:required|needed)$/i;
/** An IPv4 address, with a port or prefix length (`SVC_ONEPASSWORD: "10.10.12.15"`, the 1Password Connect service's): an address, not a credential. */
const IP_ADDRESS = /^(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5}|\/\d{1,2})?$/;
/** Maps whose values are display titles (a Grafana dashboard's `renameByName` transformation). */
const TITLE_MAP = /^renameByName$/;

/**
 * A value as the key rule reads it: without a trailing comment, a trailing comma (JSON in a block scalar)
 * or its quotes (`clientSecret: "" # from the environment` is empty).
 */
const bare = (value: string) => {
  const quoted = /^(["'])(.*?)\1\s*(?:#.*)?$/.exec(value);
  if (quoted) return quoted[2];
  return value.replace(/\s+#.*$/, '').replace(/,$/, '').replace(/^(["'])(.*)\1$/, '$2');
};

/**
 * A token made of a handful of characters (`ghp_xxxx…`, `AKIAXXXXXXXXXXXXXXXX`), of one short word over and over
 * (`ghp_sampleSampleSample…`, the actions-runner-controller chart's example), or spelling out that it is an
 * example is a placeholder: the random part of a real one (base62, 16 to 36 characters) is none of these.
 */
const placeholderToken = (token: string) => {
  const body = token.replace(/^(AKIA|ASIA|glpat-|gh[pousr]_)/, '');
  const folded = body.toLowerCase();
  const repeated = [...Array(8).keys()].some((n) => n > 0 && folded.length >= 3 * n && folded === folded.slice(0, n).repeat(Math.ceil(folded.length / n)).slice(0, folded.length));
  return new Set(body).size < 6 || repeated || /example|sample|dummy|placeholder|redacted|x{6}/.test(folded);
};

/**
 * Public material that needs no protecting in a Secret: certificates, public keys, SSH public keys
 * (authorized_keys lines, with options) and known_hosts lines, alone or with comments and blank lines.
 */
function isPublicMaterial(value: string): boolean {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(value.trim()) && value.trim().length % 4 === 0 ? Buffer.from(value.trim(), 'base64').toString('utf8') : value;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return false;
  const pem = text.match(/-----BEGIN (CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|X509 CRL|TRUSTED CERTIFICATE)-----[\s\S]*?-----END \1-----/g);
  const rest = pem ? pem.reduce((t, block) => t.replace(block, ''), text) : text;
  const lines = rest.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const sshKey = /(?:^|\s)(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA[0-9A-Za-z+/]+={0,3}(?:\s|$)/;
  return (pem !== null || lines.length > 0) && lines.every((l) => sshKey.test(l));
}

/** A Secret's `data` value decoded (base64; Go's decoder skips line breaks, as in a block scalar), or as it is where it does not decode. */
const decoded = (value: string) => {
  const joined = value.replace(/[\r\n]/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(joined) && joined.length % 4 === 0 ? Buffer.from(joined, 'base64').toString('utf8') : value;
};

/**
 * A container image reference (`ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.13.0`, or by digest):
 * no credential, though operators read it from a Secret (plugin-barman-cloud's SIDECAR_IMAGE).
 */
const isImageReference = (value: string) => /^[a-z0-9][a-z0-9.-]*(?::\d+)?\/[a-z0-9][a-z0-9._/-]*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/.test(value) && /[:@]/.test(value);

/**
 * The keys of an Argo CD cluster or repository Secret that hold no credential (argo-cd
 * docs/operator-manual/declarative-setup.md: name, server, url, type, project, …), and a cluster's `config`
 * JSON without bearerToken, password or keyData (TLS client config, AWS or exec auth that names no secret).
 */
const ARGO_SETTINGS = new Set(['name', 'server', 'url', 'type', 'project', 'namespaces', 'clusterResources', 'shard', 'enableOCI', 'insecure', 'insecureOCIForceHttp', 'forceHttpBasicAuth', 'enableLfs', 'proxy', 'noProxy', 'githubAppID', 'githubAppInstallationID', 'githubAppEnterpriseBaseUrl', 'username', 'useAzureWorkloadIdentity']);
function argoSettingNoCredential(key: string, value: string): boolean {
  if (ARGO_SETTINGS.has(key)) return true;
  if (key !== 'config') return false;
  try {
    const credential = (v: unknown): boolean =>
      Array.isArray(v) ? v.some(credential) : v !== null && typeof v === 'object' ? Object.entries(v).some(([k, x]) => ['bearerToken', 'password', 'keyData'].includes(k) ? x !== '' : credential(x)) : false;
    return !credential(JSON.parse(value));
  } catch {
    return false;
  }
}

/** A value that only refers to one given elsewhere: a Flux or shell variable, a template, a placeholder. */
const isReference = (value: string) => /^(\$?\$\{[^}]*\}|\{\{[^}]*\}\}|<[^<>]*>)$/.test(value.trim());

/** A value SOPS encrypted (getsops/sops aes/cipher.go's format). */
export const SOPS_VALUE = /^ENC\[AES256_GCM,data:/;

/**
 * Whether kustomize-controller decrypts the object whole before applying it: it has `sops` with a
 * non-empty `mac`, whatever its kind (fluxcd/kustomize-controller v1.9.4 internal/decryptor/decryptor.go:
 * DecryptResource decrypts every resource isSOPSEncryptedResource finds, "looking for .sops and .sops.mac
 * fields"; the plain JSON SOPS emits holds no `sops`).
 */
export function isSopsEncrypted(object: K8sObject): boolean {
  const sops = object.sops;
  if (!sops || typeof sops !== 'object' || Array.isArray(sops)) return false;
  const mac = (sops as Record<string, unknown>).mac;
  return mac !== undefined && mac !== null && mac !== '';
}

/**
 * The fields naming an object (apiVersion, kind, metadata.name, metadata.namespace) that SOPS encrypted: the
 * object is known only once kustomize-controller decrypts it, so nothing offline can say what it is.
 */
export function sopsEncryptedIdentity(object: K8sObject): string[] {
  if (!isSopsEncrypted(object)) return [];
  const fields: [string, unknown][] = [['apiVersion', object.apiVersion], ['kind', object.kind], ['metadata.name', object.metadata?.name], ['metadata.namespace', object.metadata?.namespace]];
  return fields.filter(([, v]) => typeof v === 'string' && SOPS_VALUE.test(v)).map(([f]) => f);
}

/**
 * A Go regular expression (RE2, what sops matches with) as a JavaScript one, where both read it alike:
 * leading flags `(?i)`, `(?m)`, `(?s)` and named groups `(?P<name>` translated; undefined for what JavaScript
 * reads otherwise or not at all (`\z`, `\A`, `\Q…\E`, `\p{…}`, `[[:alpha:]]`, other flags, lookaround).
 */
function goRegExp(pattern: string): RegExp | undefined {
  const flags = /^\(\?([ims]+)\)/.exec(pattern);
  const source = (flags ? pattern.slice(flags[0].length) : pattern).replaceAll('(?P<', '(?<');
  if (/\\[zAQEpPC]|\[\[:|\(\?[a-zA-Z]|\(\?<?[=!]/.test(source)) return undefined;
  try {
    return new RegExp(source, flags?.[1] ?? '');
  } catch {
    return undefined;
  }
}

/**
 * Which values a file's SOPS metadata says are encrypted, by key path (getsops/sops v3.13.2 sops.go
 * shouldBeEncrypted, stores/stores.go ToInternal): every value but those with a key on their path ending in
 * `unencrypted_suffix` (`_unencrypted` where the metadata names no rule); with `encrypted_suffix`, only those
 * with a key ending in it; with `unencrypted_regex`, all but those with a key it matches; with
 * `encrypted_regex`, only those with a key it matches (Go's regexp.Match: anywhere in the key).
 * `mac_only_encrypted` changes what the MAC covers, not what is encrypted. undefined where this cannot be
 * told here: a comment rule (`encrypted_comment_regex`, `unencrypted_comment_regex`: the comments above a
 * key decide, and parsing drops them), a regular expression JavaScript does not read as Go does, or more
 * than one rule (sops refuses the file: "Cannot use more than one of …").
 */
function sopsEncrypts(sops: Record<string, unknown>): ((path: string[]) => boolean) | undefined {
  const rules = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'].filter((r) => typeof sops[r] === 'string' && sops[r] !== '');
  if (rules.length > 1) return undefined;
  const rule = rules[0] ?? 'unencrypted_suffix';
  const value = rules.length === 0 ? '_unencrypted' : (sops[rule] as string);
  if (rule === 'unencrypted_suffix') return (path) => !path.some((k) => k.endsWith(value));
  if (rule === 'encrypted_suffix') return (path) => path.some((k) => k.endsWith(value));
  const re = rule === 'unencrypted_regex' || rule === 'encrypted_regex' ? goRegExp(value) : undefined;
  if (!re) return undefined;
  return rule === 'encrypted_regex' ? (path) => path.some((k) => re.test(k)) : (path) => !path.some((k) => re.test(k));
}

/** A line of a config file (INI, YAML, JSON, JavaScript) that sets a key: the key and its value (`secret_access_key = …`, `"password": "…",`). */
const CONFIG_SETTING = /^\s*["']?([\w.-]+)["']?\s*[:=]\s*(.*?)\s*$/;
/**
 * A key that names a credential, a word of it (camelCase, `_`, `-` or `.` apart) being one (RESTIC_PASSWORD,
 * secret_access_key, repo2-s3-key-secret, rootPassword; not passthrough), unless it names where one is
 * (secretName, password_file).
 */
const credentialKey = (key: string) => {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return /(?:^|[_.-])(?:pass(?:word|wd|phrase)?|secret|token|api_?key|private_?key|credentials?)(?:$|[_.-])/.test(words) && !/[_.-](?:name|ref|file|path|dir|env)$/.test(words);
};

/**
 * A Secret value with Flux variables in it, which kustomize-controller fills in at reconcile time (fluxcd/pkg
 * kustomize/kustomize_varsub.go substitutes every object's YAML, Secrets included, from postBuild's sources),
 * is no plaintext where what is written besides the variables holds no credential: a config file whose
 * credential keys (`secret_access_key = ${SECRET_R2_KEY}`) have no literal value, or a line (a path:
 * `${SECRET_REPO}/app/config`) with no literal password in a URL's user info and, under a credential key,
 * nothing but punctuation besides its variables.
 */
function onlyVariablesHoldCredentials(key: string, value: string): boolean {
  // Variables, innermost first (a default may hold one: `${A:-${B}}`), each left as a mark.
  let marked = value;
  for (let before = ''; before !== marked; ) {
    before = marked;
    marked = marked.replace(/\$\{[^${}\n]*\}/g, '\u0000');
  }
  if (!marked.includes('\u0000')) return false;
  const literal = (v: string) => {
    const text = bare(v).replaceAll('\u0000', '');
    return /[A-Za-z0-9]/.test(text) && !PLACEHOLDER.test(text) && !DURATION.test(text);
  };
  for (const m of marked.matchAll(/:\/\/[^\s/:@]*:([^\s/@]+)@/g)) if (literal(m[1])) return false;
  const lines = marked.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    const setting = CONFIG_SETTING.exec(line);
    if (setting && credentialKey(setting[1]) && literal(setting[2])) return false;
  }
  return lines.length > 1 || !credentialKey(key) || !literal(marked);
}

/**
 * A value sealed by kubeseal: base64 of uint16-BE n ‖ n bytes of RSA-OAEP (a 2048-4096 bit key) ‖
 * AES-GCM output with its 16-byte tag. Plaintext does not take this shape by accident.
 */
export function isSealedValue(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 2) return false;
  const n = bytes.readUInt16BE(0);
  return [256, 384, 512].includes(n) && bytes.length >= 2 + n + 16;
}

/** The column a line's key starts at (after a list item's `- `). */
const keyColumn = (line: string) => /^(\s*(?:-\s+)?)/.exec(line)![1].length;

/**
 * Whether a `secretKey:`-style line names a key of a Secret rather than holding a value: a sibling key
 * within five lines names the Secret (`secretName`, `name`, `secretRef`, `existingSecret`), as in
 * `{secretName: app, secretKey: api-key}`.
 */
function namesSecretKey(lines: string[], at: number, key: string, value: string): boolean {
  // A key name is a short name, nothing like a generated credential.
  if (!/key$/i.test(key) || !/^[-._A-Za-z0-9]{1,63}$/.test(value) || /\d/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value)) return false;
  const column = keyColumn(lines[at]);
  // Also the key's own name less `Key` (kagent's ModelConfig: `apiKeySecretKey` is a key of the Secret `apiKeySecret` names).
  const own = key.replace(/key$/i, '');
  const sibling = new RegExp(`^\\s*(?:-\\s+)?["']?(secretName|name|secretRef|existingSecret|secret|[A-Za-z]+SecretName|[A-Za-z]+SecretRef|[A-Za-z]*ExistingSecret|existingSecretName${/secret$/i.test(own) ? `|${own.replace(/[^A-Za-z0-9_]/g, '')}` : ''})["']?\\s*:`, 'i');
  // The same mapping: lines at the key's column, up to a line that starts left of it (or a new list item).
  for (const step of [-1, 1]) {
    for (let j = at + step, seen = 0; j >= 0 && j < lines.length && seen < 5; j += step) {
      if (lines[j].trim() === '' || lines[j].trim().startsWith('#')) continue;
      const c = keyColumn(lines[j]);
      if (c < column) break;
      if (c > column) continue;
      seen++;
      if (sibling.test(lines[j])) return true;
      if (/^\s*-\s/.test(lines[j]) !== /^\s*-\s/.test(lines[at]) && step === 1) break;
    }
  }
  return false;
}

/** The line of the mapping line `at` sits in (the nearest line above it that starts left of it), if any. */
function parentLine(lines: string[], at: number): number | undefined {
  const column = keyColumn(lines[at]);
  for (let j = at - 1, seen = 0; j >= 0 && seen < 200; j--, seen++) {
    const line = lines[j];
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (keyColumn(line) < column || (/^\s*-\s/.test(line) && keyColumn(line) <= column && !/^\s*-\s/.test(lines[at]))) return j;
  }
  return undefined;
}

/** The key of the mapping line `at` sits in, if any. */
function parentKey(lines: string[], at: number): string | undefined {
  const j = parentLine(lines, at);
  if (j === undefined) return undefined;
  // The key the line opens a map with (JSON: `{"options": {"renameByName": {`), else its first key.
  return (/["']?([A-Za-z0-9_.-]+)["']?\s*:\s*\{\s*$/.exec(lines[j]) ?? /^\s*(?:-\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*:/.exec(lines[j]))?.[1];
}

/** Whether the value on line `at` is a key name in a map of key names (`secretKeys:`, `cookieNames:`, a Secret's `keys:`). */
function inKeyNameMap(lines: string[], at: number, value: string): boolean {
  // A name, where Flux may substitute part of it (`${APP}-id-token`).
  if (!/^[-._A-Za-z0-9]{1,63}$/.test(value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?=[^}]*)?\}/g, 'x'))) return false;
  const parent = parentKey(lines, at) ?? '';
  if (KEY_NAME_MAP.test(parent)) return true;
  const up = parentLine(lines, at);
  return KEY_NAME_MAP_UNDER_SECRET.test(parent) && up !== undefined && /^(secret|[A-Za-z]*Secret)$/.test(parentKey(lines, up) ?? '');
}

/**
 * Whether what follows a private key's header is a key and not a stand-in for one. Every PEM private key's
 * body is base64 of DER, an ASN.1 SEQUENCE (`MI…`, `MC…`, `MH…`: PKCS#1, PKCS#8, SEC 1, encrypted PKCS#8),
 * or of OpenSSH's `openssh-key-v1` (`b3BlbnNzaC1rZXktdjE`); one cut short (`MIIEvQIBADANBgkq...`, a `...` or
 * `…` before the END line) or a run of one character (`xxxx…`, DoD-Platform-One/bigbang's documentation) holds
 * none.
 */
function keyBody(first: string, following: string[]): boolean {
  if (!/^(?:M|b3BlbnNzaC1rZXktdjE)/.test(first) || /^(.)\1{39}/.test(first)) return false;
  // A key on one line (`\n` escapes, a service account's JSON) ends on that line: what follows is not it.
  const endHere = first.indexOf('-----END ');
  const end = endHere >= 0 ? -1 : following.findIndex((l) => l.includes('-----END '));
  // Up to the END line; without one, the first line only (what follows may be prose).
  const block = endHere >= 0 ? [first.slice(0, endHere)] : [first, ...(end < 0 ? [] : following.slice(0, end))];
  return !block.some((l) => /\.\.\.|…/.test(l));
}

/**
 * The tokens on line `i`. A private key's header counts only with a key body after it (base64, on the
 * same line after an escaped newline or on the next line, past comment marks and quotes): a chart's
 * values that show the header in a comment (`## -----BEGIN RSA PRIVATE KEY-----`, then `...`) hold none.
 */
function tokensOn(lines: string[], i: number): string[] {
  const found: string[] = [];
  for (const [pattern, what] of TOKENS) {
    const m = pattern.exec(lines[i]);
    if (!m || (what !== 'a private key' && what !== 'an age private key' && placeholderToken(m[0]))) continue;
    if (what === 'a private key') {
      const after = lines[i].slice(m.index + m[0].length).replace(/^\\n/, '');
      const next = after.trim() !== '' ? after : (lines.slice(i + 1, i + 3).find((l) => l.trim() !== '') ?? '');
      const body = next.replace(/^[\s#/*"'|-]*/, '');
      if (!/^[A-Za-z0-9+/]{40,}/.test(body) || !keyBody(body, lines.slice(i + 1, i + 100))) continue;
    }
    found.push(what);
  }
  return found;
}

/**
 * Flux variables the repository uses only where a name goes (`remoteRef: {key: "${ZOT_HTPASSWD}"}`, a
 * Secret's `name: ${X}`): their `postBuild.substitute` values are names (of a secret in an external store,
 * PingCAP-QE/ee-ops), not credentials.
 */
function variablesNamingThings(files: FileSet): Set<string> {
  const asName = new Set<string>();
  const asValue = new Set<string>();
  for (const [file, text] of files.entries()) {
    if (!/\.ya?ml$/.test(file) || !text.includes('${')) continue;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const m = /^[ \t]*(?:-[ \t]+)?["']?([A-Za-z][\w.-]*)["']?[ \t]*:[ \t]*(.*\$\{[A-Za-z_][A-Za-z0-9_]*\}.*)$/.exec(line);
      if (!m) return;
      const whole = /^["']?\$\{([A-Za-z_][A-Za-z0-9_]*)\}["']?[ \t]*$/.test(m[2]);
      // Where a name goes: an external store's key (`remoteRef: {key, property}`), a referenced Secret's or
      // ConfigMap's name; never a Secret's own data.
      const parent = parentKey(lines, i) ?? '';
      const name = whole && ((/^(key|property|remoteKey)$/.test(m[1]) && /^(remoteRef|secretKeyRef|configMapKeyRef|dataFrom|extract|find)$/.test(parent)) || (m[1] === 'name' && /^(secretKeyRef|configMapKeyRef|secretRef|configMapRef|secretStoreRef)$/.test(parent)));
      for (const v of m[2].matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) (name ? asName : asValue).add(v[1]);
    });
  }
  return new Set([...asName].filter((v) => !asValue.has(v)));
}

export function scanForSecrets(files: FileSet, applied: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  let namingVariables: Set<string> | undefined;
  const namesAThing = (lines: string[], at: number, key: string) => parentKey(lines, at) === 'substitute' && (namingVariables ??= variablesNamingThings(files)).has(key);
  for (const [file, text] of files.entries()) {
    if (!applied.has(file)) {
      const all = text.split('\n');
      all.forEach((_line, i) => {
        for (const what of tokensOn(all, i)) findings.push(error('secrets', file, `line ${i + 1} holds ${what}`));
      });
      continue;
    }
    const yaml = /\.ya?ml$/.test(file);
    const objects = yaml ? objectsOf(text) : [];
    const lines = text.split('\n');
    // ExternalSecrets and PushSecrets (and their Cluster kinds, which hold the same spec) only name keys (secretKey: S3_SECRET_ACCESS_KEY): no value to find in
    // their documents (a document's kind from its top-level `kind:` line).
    let kind = '';
    let flow: boolean | undefined;
    lines.forEach((line, i) => {
      // A document's kind: its top-level `kind:` line, or in a document written as JSON (`{ kind: "ExternalSecret", … }`)
      // its first `kind:` line, which comes before any nested one.
      const indented = flow === true && kind === '' ? /^\s+["']?kind["']?\s*:\s*["']?([A-Za-z0-9]+)["']?\s*,?\s*$/.exec(line) : null;
      if (/^---/.test(line)) {
        kind = '';
        flow = undefined;
      } else if (flow === undefined && line.trim() !== '' && !line.trim().startsWith('#')) flow = line.trim().startsWith('{');
      if (/^kind:\s*/.test(line)) kind = line.replace(/^kind:\s*/, '').replace(/["'\s]/g, '');
      else if (indented) kind = indented[1];
      for (const what of tokensOn(lines, i)) findings.push(error('secrets', file, `line ${i + 1} holds ${what}`));
      const onlyReferences = kind === 'ExternalSecret' || kind === 'ClusterExternalSecret' || kind === 'PushSecret' || kind === 'ClusterPushSecret';
      // Key rules on the trimmed line, and not on very long lines (no credential key is 4 KiB): linear time.
      const m = yaml && !onlyReferences && line.length <= 4096 ? SECRET_KEYS.exec(line.trimEnd()) : null;
      // An anchor is no part of the value (the node after it is: on this line, or the lines below).
      const written = m ? m[2].replace(ANCHOR, '') : '';
      const value = m ? bare(written) : '';
      const unquoted = written.replace(/\s+#.*$/, '');
      const notLiteral = () => FLOW_MAPPING.test(unquoted) || NAME_LIST.test(unquoted) || CODE_REFERENCE.test(unquoted) || CODE_CALL.test(unquoted) || ALIAS.test(unquoted) || DURATION.test(value) || IP_ADDRESS.test(value) || NO_CREDENTIAL_WORD.test(value);
      if (m && value !== '' && !NOT_A_CREDENTIAL_KEY.test(m[1]) && !PLACEHOLDER.test(value) && !m[2].startsWith('#') && !isSealedValue(value) && !notLiteral() && !namesSecretKey(lines, i, m[1], value) && !inKeyNameMap(lines, i, value) && !TITLE_MAP.test(parentKey(lines, i) ?? '') && !namesAThing(lines, i, m[1]) && !(KEY_NAME_VARIABLE.test(m[1]) && KEY_NAME_VALUE.test(value))) {
        findings.push(error('secrets', file, `line ${i + 1}: ${m[1]} has a literal value; reference a Secret instead`));
      }
    });
    if (!yaml) continue;
    if (file.endsWith('.sops.yaml') && file !== '.sops.yaml' && objects.some((o) => !('sops' in o))) {
      findings.push(error('secrets', file, 'is named *.sops.yaml but is not SOPS-encrypted: encrypt it with sops before committing'));
    }
    for (const o of objects) {
      if (o.kind === 'SealedSecret') {
        const encrypted = (o.spec as { encryptedData?: Record<string, unknown> } | undefined)?.encryptedData ?? {};
        const plain = Object.entries(encrypted).filter(([, v]) => typeof v !== 'string' || !isSealedValue(v));
        if (plain.length > 0) findings.push(error('secrets', file, `SealedSecret holds values that are not sealed (${plain.map(([k]) => k).join(', ')}): seal them with kubeseal`, { object: objectKey(o) }));
        continue;
      }
      if (o.kind !== 'Secret') continue;
      const argoType = o.metadata?.labels?.['argocd.argoproj.io/secret-type'];
      // With SOPS metadata, only the values its rules say are encrypted must be (the others it leaves as
      // written); where its rules cannot be told here, none is judged.
      const meta = o.sops && typeof o.sops === 'object' && !Array.isArray(o.sops) ? (o.sops as Record<string, unknown>) : undefined;
      const encrypted = meta ? (sopsEncrypts(meta) ?? (() => false)) : () => true;
      const plain = new Set<string>();
      for (const field of ['data', 'stringData'] as const) {
        const values = o[field] && typeof o[field] === 'object' ? Object.entries(o[field] as Record<string, unknown>) : [];
        for (const [k, v] of values) {
          const shown = typeof v === 'string' && field === 'data' ? decoded(v) : v;
          if (
            typeof v === 'string' && typeof shown === 'string' && v.length > 0 && !SOPS_VALUE.test(v) && !isReference(v) && !isPublicMaterial(v) &&
            !isImageReference(shown) && !(argoType !== undefined && argoSettingNoCredential(k, shown)) &&
            // A value SOPS should have encrypted fails decryption whatever it holds (aes/cipher.go parse).
            ('sops' in o ? encrypted([field, k]) : !onlyVariablesHoldCredentials(k, v))
          ) plain.add(k);
        }
      }
      if (plain.size === 0) continue;
      const keys = [...plain].join(', ');
      findings.push(
        'sops' in o
          ? error('secrets', file, `Secret has SOPS metadata but plaintext values (${keys}): it was edited after encryption; re-encrypt it with sops`, { object: objectKey(o) })
          : error('secrets', file, `Secret holds plaintext values (${keys}): encrypt it (SOPS) or seal it`, { object: objectKey(o) }),
      );
    }
  }
  return findings;
}
