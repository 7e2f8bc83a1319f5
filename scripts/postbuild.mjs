// After tsc: bundle the bin, make it executable, regenerate the files derived from the question
// table, and do once what every run would repeat (dist/prebuilt: parsed YAML, templates, validators).
import { chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const run = (script) => execFileSync(process.execPath, [new URL(script, import.meta.url).pathname], { stdio: 'inherit' });

run('./bundle-bin.mjs');
chmodSync(new URL('../dist/bin/haven-plus.js', import.meta.url), 0o755);
run('../dist/scripts/write-reference.js');
run('../dist/scripts/build-prebuilt.js');
