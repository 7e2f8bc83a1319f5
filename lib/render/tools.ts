/**
 * The command-line tools a README's shell blocks run, for its "Before you start": read from the blocks
 * themselves, so the list is what the steps use (a remote over SSH adds ssh-keyscan, SOPS adds sops), never
 * a second copy to keep in step with the templates.
 */

/** Tools a reader installs, in the order they are listed, with what to get. */
const TOOLS: [command: string, label: string][] = [
  ['kubectl', '`kubectl`'],
  ['flux', 'the `flux` CLI (2.7 or newer)'],
  ['helm', '`helm` (3.8 or newer: OCI charts; Helm 4 works too)'],
  ['argocd', 'the `argocd` CLI (to watch the sync)'],
  ['sops', '`sops` (3.9 or newer)'],
  ['age-keygen', '`age`'],
  ['kubeseal', '`kubeseal`'],
  // The providers' own CLIs, where a profile makes the platform's S3 key (or buckets) with one.
  ['ovhcloud', 'the `ovhcloud` CLI (logged in: `ovhcloud login`)'],
  ['scw', 'the `scw` CLI (set up: `scw init`)'],
  ['exo', 'the `exo` CLI (set up: `exo config`)'],
  ['stackit', 'the `stackit` CLI (logged in: `stackit auth login`)'],
  ['upctl', 'the `upctl` CLI (UpCloud)'],
  ['ionosctl', 'the `ionosctl` CLI (logged in: `ionosctl login`)'],
  ['openstack', "the `openstack` CLI (with the project's credentials)"],
  ['aws', 'the `aws` CLI (for the provider\'s S3)'],
  ['ssh-keyscan', 'OpenSSH\'s `ssh-keyscan` and `ssh-keygen`'],
  ['git', '`git`'],
];

/** Words that start a shell command but are the shell's own, or set a variable. */
const SHELL_WORDS = new Set(['read', 'printf', 'echo', 'export', 'unset', 'cd', 'set', 'if', 'then', 'else', 'fi', 'for', 'do', 'done', 'while', 'test', '[', 'true', 'false', 'cat', 'sort', 'tee']);

/** The commands of the ```sh blocks of `markdown`, by their first word (pipes, `&&`, `;`, `$(…)` and `<(…)` split them). */
export function commandsOf(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    // Continuation lines belong to the command above them.
    const text = block[1].replace(/\\\n/g, ' ');
    for (const line of text.split('\n')) {
      const code = line.replace(/(^|\s)#.*$/, '');
      for (const segment of code.split(/\||&&|;|\$\(|<\(|\)/)) {
        const words = segment.trim().split(/\s+/).filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
        const first = words[0];
        if (first && !SHELL_WORDS.has(first) && /^[a-z][a-z0-9-]*$/.test(first)) found.add(first);
      }
    }
  }
  return found;
}

/** "The tools its steps run: …", or undefined where they run none of the known ones. */
export function toolsLine(markdown: string): string | undefined {
  const used = commandsOf(markdown);
  const labels = TOOLS.filter(([command]) => used.has(command)).map(([, label]) => label);
  return labels.length > 0 ? `The tools the steps below run (a route may need fewer): ${labels.join(', ')}.` : undefined;
}
