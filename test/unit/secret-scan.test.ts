/**
 * The secret scanner's key rule on what real repositories hold: references of every common kind pass,
 * literal credentials do not (the false positives a sweep of public home-ops and Argo CD repositories found).
 */
import { describe, expect, it } from 'vitest';
import { FileSet } from '../../lib/fileset.js';
import { scanForSecrets } from '../../lib/validate/secret-scan.js';

const scan = (text: string) => {
  const files = new FileSet();
  files.add('apps/x.yaml', text);
  return scanForSecrets(files, new Set(['apps/x.yaml'])).map((f) => f.message);
};
const line = (key: string, value: string) => scan(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  ${key}: ${value}\n`);

describe('the secret scan: references pass', () => {
  it.each([
    ['input_cost_per_token', '2.0e-07'],
    ['max_tokens', '4096'],
    ['apiKey', 'os.environ/OPENAI_API_KEY'],
    ['apiKey', '"os.environ/OPENAI_API_KEY",'],
    ['token', '"{env:GITHUB_TOKEN}"'],
    ['password', '"$(DOCKERHUB_TOKEN)"'],
    ['secretKey', 'GITHUB_TOKEN'],
    ['clientSecretKey', 'OIDC_AUTHENTIK_SECRET'],
    ['passwordKey', 'password'],
    ['clientSecret', '$argocd-auth:dex.github.clientSecret'],
    ['token', '$slack-token'],
    ['password', '"$${POSTGRES_PASSWORD}",'],
    ['password', '${POSTGRES_PASSWORD}'],
    ['"1password"', '{'],
    ['adminPassword', '"{{ .Values.password }}"'],
    ['password', 'ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]'],
    ['password', 'True'],
    ['password', "'{FRIGATE_MQTT_PASSWORD}'"],
    // Grafana provisioning expands $VAR and ${VAR} from its environment (billimek, carpenike): Flux leaves $VAR alone.
    ['password', '"$TESLAMATE_DB_PASSWORD"'],
    // recyclarr's and Home Assistant's YAML tags read the value from the environment or secrets.yaml.
    ['api_key', '!env_var SONARR_API_KEY'],
    ['api_password', '!secret http_password'],
  ])('%s: %s', (key, value) => expect(line(key, value)).toEqual([]));
});

describe('the secret scan: literals are caught', () => {
  it.each([
    ['password', 'hunter2'],
    ['secretKey', 'minio123secret'],
    ['secret_key', 'wJalrXUtnFEMI'],
    ['adminPassword', '"changeme",'],
    ['apiKey', 'sk-abc123def456'],
    ['token', 'Mixed_Case_Value'],
    ['password', '$uperS3cret2024'],
    ['password', '$Password1'],
    ['password', '!notatag hunter2'],
    ['api_key', 'ABCD_1234_EFGH_5678'],
    ['awsSecretKey', 'wJalrXUtnFEMIK7MDENG'],
  ])('%s: %s', (key, value) => expect(line(key, value)).toEqual([`line 6: ${key} has a literal value; reference a Secret instead`]));
});

describe('the secret scan: a key named beside the Secret it is in', () => {
  it('{secretName, secretKey} and {name, key} pairs name keys, not values', () => {
    expect(scan('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  auth:\n    secretName: litellm\n    secretKey: api-key\n  list:\n    - name: app\n      secretKey: api-key\n')).toEqual([]);
  });

  it('a secretKey with no Secret named beside it is a literal', () => {
    expect(scan('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  s3:\n    endpoint: https://s3.example.nl\n    secretKey: minio123secret\n')).toEqual(['line 8: secretKey has a literal value; reference a Secret instead']);
  });
});

describe('the secret scan: ExternalSecret and PushSecret documents', () => {
  it('name keys only, also in a file with other kinds', () => {
    expect(scan('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: external-secrets.io/v1alpha1\nkind: PushSecret\nmetadata:\n  name: p\nspec:\n  data:\n  - match:\n      secretKey: api-key\n')).toEqual([]);
    expect(scan('apiVersion: external-secrets.io/v1alpha1\nkind: PushSecret\nmetadata:\n  name: p\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  password: hunter2\n')).toEqual(['line 11: password has a literal value; reference a Secret instead']);
  });
});

describe('the secret scan: a credential beside a name is still a credential', () => {
  it('a generated-looking value under secretKey with a name sibling is caught', () => {
    expect(scan('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  targets:\n    - name: offsite\n      secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n')).toEqual(['line 8: secretKey has a literal value; reference a Secret instead']);
  });
});
