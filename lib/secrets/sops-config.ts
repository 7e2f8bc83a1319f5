/** The repository's `.sops.yaml`: which files SOPS encrypts, which fields, and to whom. */
import { toYaml } from '../render/template.js';

/** Only Secret payloads are encrypted: names, namespaces and kinds stay readable for review and validation. */
export const ENCRYPTED_REGEX = '^(data|stringData)$';
export const SOPS_PATH_REGEX = '\\.sops\\.yaml$';

export function sopsConfig(recipients: string[]): string {
  const doc = {
    creation_rules: [{ path_regex: SOPS_PATH_REGEX, encrypted_regex: ENCRYPTED_REGEX, age: recipients.join(',') }],
  };
  return (
    '# SOPS encrypts the data of every *.sops.yaml file to these age recipients.\n' +
    '# To add a recipient: add it here, then run `sops updatekeys <file>` for each *.sops.yaml.\n' +
    toYaml(doc)
  );
}
