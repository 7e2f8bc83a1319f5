/**
 * Handlebars, set up for YAML: no HTML escaping, strict (a missing field is an error, not an empty
 * string), and helpers that emit values as safely quoted YAML so no answer can inject structure.
 */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { isScalar, parseAllDocuments, stringify, visit } from 'yaml';

const hbs = Handlebars.create();

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
hbs.registerHelper('join', (list: unknown[], sep: unknown) => list.join(typeof sep === 'string' ? sep : ', '));
hbs.registerHelper('list', (...args: unknown[]) => args.slice(0, -1));
hbs.registerHelper('includes', (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));

export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, minContentWidth: 0, indent: 2, aliasDuplicateObjects: false });
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Registers a partial from a template file (once per process). */
export function registerPartial(name: string, file: string): void {
  if (!hbs.partials[name]) hbs.registerPartial(name, readFileSync(file, 'utf8'));
}

export function renderTemplate(file: string, context: unknown): string {
  let template = cache.get(file);
  if (!template) {
    template = hbs.compile(readFileSync(file, 'utf8'), { noEscape: true, strict: true });
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
