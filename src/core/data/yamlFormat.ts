import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type ToStringOptions } from 'yaml';
import { ProvenantError } from '../util/errors';

/**
 * YAML as DVC writes it (ruamel round-trip, block style): sequences at the indent of their parent
 * key, mappings indented by 2, single quotes where quoting is needed, UTF-8 kept as is.
 */
export const DVC_YAML_OPTIONS: ToStringOptions = { indentSeq: false, singleQuote: true, lineWidth: 0, minContentWidth: 0 };

/**
 * Plain scalars that ruamel's YAML 1.2 resolver would read as something other than a string, so DVC
 * quotes them. The `yaml` package's core schema misses some of these (underscored and binary numbers,
 * timestamps, `<<`, `=`), so they are matched here and forced into quotes.
 */
const RUAMEL_NON_STRING = [
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?)$/,
  /^(?:<<|=)$/,
];

export function ruamelReadsAsNonString(value: string): boolean {
  return RUAMEL_NON_STRING.some((re) => re.test(value));
}

/** Forces single quotes on every string scalar that ruamel would not read back as a string. */
function quoteLikeRuamel(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && ruamelReadsAsNonString(node.value)) node.type = Scalar.QUOTE_SINGLE;
    },
  });
}

/** Serializes plain data (objects in key order) the way DVC dumps a fresh file. */
export function toDvcYaml(value: unknown): string {
  const doc = new Document(value);
  quoteLikeRuamel(doc);
  return doc.toString(DVC_YAML_OPTIONS);
}

/** Serializes an edited round-trip document (comments and key order kept), quoting like DVC. */
export function documentToDvcYaml(doc: Document): string {
  quoteLikeRuamel(doc);
  return doc.toString(DVC_YAML_OPTIONS);
}

export interface ParsedYaml {
  doc: Document.Parsed;
  value: unknown;
}

/**
 * Parses a DVC YAML file (YAML 1.2). Syntax errors and duplicate keys become a ProvenantError naming
 * the file and the line; `code` tells which kind of file it was.
 */
export function parseDvcYaml(text: string, file: string, code = 'E_BAD_YAML'): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.pos?.[0] !== undefined ? lineCounter.linePos(first.pos[0]) : undefined;
    const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    throw new ProvenantError(`${file} is not valid YAML${where}: ${first.message.split('\n')[0]}`, {
      file,
      hint: 'Fix the file by hand, or restore it from git (`git checkout -- <file>`).',
      code,
    });
  }
  return { doc, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
}

/** Finds the line of a node in a parsed document, for schema errors (1-based), when known. */
export function lineOf(text: string, doc: Document.Parsed, path: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) node = node.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === key)?.value;
    else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else return undefined;
  }
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return undefined;
  return text.slice(0, range[0]).split('\n').length;
}
