/**
 * Handlebars, set up for YAML: no HTML escaping, strict (a missing field is an error, not an empty
 * string), and helpers that emit values as safely quoted YAML so no answer can inject structure.
 *
 * Templates run on Handlebars' runtime. They are precompiled by the build (prebuilt.ts); a template
 * the build has not seen (run from the sources, or edited) is precompiled here, the same way.
 */
import type Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { isScalar, parseAllDocuments, stringify, visit } from 'yaml';
import { packageRequire, prebuiltKey, PREBUILT_DIR, readPrebuilt, versionOf } from '../prebuilt.js';
import { mirrorImage } from '../mirror.js';

const hbs = (packageRequire('handlebars/runtime') as typeof Handlebars).create();

/** Compile-time options: output as written (YAML, not HTML) and an error for a missing field. */
const TEMPLATE_OPTIONS = Object.freeze({ noEscape: true, strict: true });
export const TEMPLATES = 'templates';
export const TEMPLATE_EXTENSION = '.js';

export const templateKey = (text: string) => prebuiltKey(['handlebars', versionOf('handlebars'), JSON.stringify(TEMPLATE_OPTIONS)], text);

/** A template as Handlebars' precompiler writes it: the JavaScript source of its spec. */
export function precompileTemplate(text: string): string {
  // A copy: the precompiler adds its defaults to the options it is given.
  return (packageRequire('handlebars') as typeof Handlebars).precompile(text, { ...TEMPLATE_OPTIONS }) as string;
}

function compile(text: string): HandlebarsTemplateDelegate {
  const spec = readPrebuilt(PREBUILT_DIR, TEMPLATES, templateKey(text), TEMPLATE_EXTENSION) ?? precompileTemplate(text);
  // The spec is Handlebars' own output for one of the package's templates, evaluated as its docs show.
  return hbs.template(new Function(`return ${spec}`)() as TemplateSpecification);
}

/** A YAML/JSON double-quoted scalar: valid in both, escapes newlines, quotes and control characters. */
hbs.registerHelper('q', (value: unknown) => {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`template helper q: expected a scalar, got ${JSON.stringify(value)}`);
  }
  return JSON.stringify(String(value));
});
/** Free text as inert Markdown: every character Markdown or HTML could read as syntax is escaped. */
export function markdownText(value: string): string {
  return value.replace(/[\\`*_{}[\]()#+\-.!|<>~"'&$:]/g, (c) => `\\${c}`);
}
hbs.registerHelper('md', (value: unknown) => markdownText(String(value ?? '')));
hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
// An image reference as the cluster pulls it: through the plan's Docker Hub mirror when there is one.
hbs.registerHelper('image', (plan: { answers?: { registryMirror?: string } }, ref: unknown) => mirrorImage(String(ref), plan?.answers?.registryMirror));
hbs.registerHelper('join', (list: unknown[], sep: unknown) => list.join(typeof sep === 'string' ? sep : ', '));
hbs.registerHelper('list', (...args: unknown[]) => args.slice(0, -1));
hbs.registerHelper('includes', (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
/** Whether some item of a list has a truthy `key` (`{{#if (some bucketList "application")}}`). */
hbs.registerHelper('some', (list: unknown, key: unknown) => Array.isArray(list) && list.some((x) => Boolean(x && typeof x === 'object' && (x as Record<string, unknown>)[String(key)])));

export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, minContentWidth: 0, indent: 2, aliasDuplicateObjects: false });
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Registers a partial from a template file (once per process). */
export function registerPartial(name: string, file: string): void {
  if (!hbs.partials[name]) hbs.registerPartial(name, compile(readFileSync(file, 'utf8')));
}

export function renderTemplate(file: string, context: unknown): string {
  let template = cache.get(file);
  if (!template) {
    template = compile(readFileSync(file, 'utf8'));
    cache.set(file, template);
  }
  return tidy(template(context));
}

/** LF, no trailing spaces, no runs of blank lines, exactly one final newline. */
export function tidy(text: string): string {
  return (
    text
      .replace(/\r\n/g, '\n')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/^\n+/, '')
      .replace(/\n*$/, '') + '\n'
  );
}

/**
 * Re-serialises rendered YAML with the yaml library: comments stay, every scalar gets the style the
 * serializer chooses (quoted where YAML 1.1 would misread it). Whatever a template interpolated, the
 * result is structurally what the parser saw; a template that does not parse is a bug and throws.
 */
export function normalizeYaml(text: string, source: string): string {
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  const out: string[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${source}: rendered YAML does not parse: ${doc.errors[0].message}`);
    if (doc.contents === null && !doc.commentBefore && !doc.comment) continue;
    visit(doc, {
      Scalar(_key, node) {
        if (isScalar(node) && node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') node.type = undefined;
      },
    });
    out.push(doc.toString({ lineWidth: 0, minContentWidth: 0, indent: 2, directives: false }));
  }
  return tidy(out.map((d) => `---\n${d}`).join(''));
}
