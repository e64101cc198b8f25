import { Composer, Lexer, LineCounter, Parser, isMap, isSeq, type CST, type Document, type YAMLSeq } from 'yaml';

/** From this size up a site is composed a piece at a time (parseInPieces); below, whole. */
export const PIECES_FROM_BYTES = 256 * 1024;
/** Sequence items composed together: big enough that composing is not per item, small enough to hold nothing big. */
const BATCH = 256;

const OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' } as const;

/**
 * The site's document as `parseAllDocuments` would compose it, read without
 * holding the text's whole syntax tree (CST): the `yaml` package keeps every
 * token of a document until its end, some 50 times the text's size (2.3 MB of
 * routes: 120 MiB), and only then composes it. Here the items of each
 * top-level block sequence (routes, clusters, edges) are taken off the syntax
 * tree a batch at a time, as soon as the parser has moved past them, and
 * composed by the package's own Composer into nodes; what is left is composed
 * as the document, and the nodes go back into their sequences. Positions are
 * the text's own: the tokens carry their offsets.
 *
 * Anything out of the ordinary gives undefined and the caller parses the whole
 * text as usual: anchors or aliases (an alias may name an anchor in another
 * batch), tags, directives, more than one document, or any error or warning
 * (whose message and place the whole parse reports). The line counter is new
 * and covers the whole text.
 */
export function parseInPieces(text: string): { doc: Document.Parsed; lineCounter: LineCounter } | undefined {
  try {
    return pieces(text);
  } catch {
    // A stack overflow of the composer (a text nested too deep) included: the whole parse reports it.
    return undefined;
  }
}

function pieces(text: string): { doc: Document.Parsed; lineCounter: LineCounter } | undefined {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  // Parser.parse counts the first line itself; fed a lexeme at a time (next), it is counted here.
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  /** Composed items by the sequence token they were taken from, in order. */
  const taken = new Map<CST.BlockSequence, unknown[]>();
  for (const lexeme of new Lexer().lex(text)) {
    if (/^[&*!%]/.test(lexeme)) return undefined;
    for (const token of parser.next(lexeme)) tokens.push(token);
    const seq = topSequence(parser.stack);
    // The last two items may still change (a comment below an item joins it); every one before is complete.
    if (seq && seq.items.length >= BATCH + 3) {
      const batch = seq.items.splice(1, seq.items.length - 3);
      const nodes = composeItems(seq, batch, text.length);
      if (!nodes) return undefined;
      taken.set(seq, [...(taken.get(seq) ?? []), ...nodes]);
    }
  }
  for (const token of parser.end()) tokens.push(token);
  const docs = [...new Composer(OPTIONS).compose(tokens, true, text.length)];
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  for (const [seq, nodes] of taken) {
    const node = sequenceAt(doc, seq.offset);
    if (!node) return undefined;
    node.items.splice(1, 0, ...nodes);
  }
  return { doc, lineCounter };
}

/** The block sequence being read that is a value of the document's top-level block mapping, if the parser is in one. */
function topSequence(stack: readonly CST.Token[]): CST.BlockSequence | undefined {
  const seq = stack[2];
  return stack[0]?.type === 'document' && stack[1]?.type === 'block-map' && seq?.type === 'block-seq' ? seq : undefined;
}

/** Complete items of a block sequence composed as a sequence of their own, by the package's Composer; undefined on any error. */
function composeItems(seq: CST.BlockSequence, items: CST.BlockSequence['items'], end: number): unknown[] | undefined {
  if (!items.every((it) => it.value !== undefined && it.start.some((t) => t.type === 'seq-item-ind'))) return undefined;
  const value: CST.BlockSequence = { type: 'block-seq', offset: seq.offset, indent: seq.indent, items };
  const token: CST.Document = { type: 'document', offset: seq.offset, start: [], value, end: [] };
  const docs = [...new Composer(OPTIONS).compose([token], true, end)];
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0 || doc.warnings.length > 0 || !isSeq(doc.contents)) return undefined;
  return doc.contents.items.length === items.length ? doc.contents.items : undefined;
}

/** The sequence node of the top-level mapping that starts where the sequence token did. */
function sequenceAt(doc: Document.Parsed, offset: number): YAMLSeq | undefined {
  if (!isMap(doc.contents)) return undefined;
  for (const pair of doc.contents.items) if (isSeq(pair.value) && pair.value.range?.[0] === offset) return pair.value;
  return undefined;
}
