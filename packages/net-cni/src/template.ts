/**
 * The part of Go's text/template that containerd's CNI config templates use, so an operator's
 * containerd `conf_template` works unchanged: `{{.Field}}`, `{{$var}}`, `{{.}}`,
 * `{{range $i, $v := .List}}…{{end}}`, `{{if …}}…{{else}}…{{end}}` and the `{{-`/`-}}` trim markers.
 */

export type TemplateData = Record<string, string | string[]>;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; expr: string }
  | { kind: 'range'; expr: string; indexVar?: string; valueVar?: string; body: Node[] }
  | { kind: 'if'; expr: string; then: Node[]; else: Node[] };

interface Action {
  text: string;
  /** Offset in the template, for error messages. */
  at: number;
}

/** Split into text and actions, applying the trim markers. */
function lex(src: string): (string | Action)[] {
  const out: (string | Action)[] = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      out.push(src.slice(pos));
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`unclosed action at offset ${open}`);
    let text = src.slice(pos, open);
    let inner = src.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.trimEnd();
      inner = inner.slice(2);
    }
    let next = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -2);
      next += src.slice(next).length - src.slice(next).trimStart().length;
    }
    out.push(text, { text: inner.trim(), at: open });
    pos = next;
  }
  return out;
}

const rangeRe = /^range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*)?(\S+)$/;

function parse(tokens: (string | Action)[], pos: { i: number }, closers: string[]): { nodes: Node[]; closer: string } {
  const nodes: Node[] = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i++]!;
    if (typeof t === 'string') {
      if (t) nodes.push({ kind: 'text', text: t });
      continue;
    }
    if (closers.includes(t.text)) return { nodes, closer: t.text };
    const range = rangeRe.exec(t.text);
    if (range) {
      // With one variable it holds the element; with two, the index and the element.
      const [, first, second, expr] = range;
      const body = parse(tokens, pos, ['end']);
      nodes.push({ kind: 'range', expr: expr!, indexVar: second ? first : undefined, valueVar: second ?? first, body: body.nodes });
    } else if (t.text.startsWith('if ')) {
      const then = parse(tokens, pos, ['else', 'end']);
      const otherwise = then.closer === 'else' ? parse(tokens, pos, ['end']).nodes : [];
      nodes.push({ kind: 'if', expr: t.text.slice(3).trim(), then: then.nodes, else: otherwise });
    } else if (/^(\.\w*|\$\w+)$/.test(t.text)) {
      nodes.push({ kind: 'value', expr: t.text });
    } else {
      throw new Error(`unsupported action {{${t.text}}} at offset ${t.at}`);
    }
  }
  if (closers.length > 0) throw new Error(`missing {{${closers.join('}} or {{')}}}`);
  return { nodes, closer: '' };
}

type Value = string | number | string[];

interface Scope {
  dot: Value | TemplateData;
  vars: Record<string, Value>;
}

function lookup(expr: string, scope: Scope, data: TemplateData): Value {
  if (expr === '.') {
    if (typeof scope.dot === 'object' && !Array.isArray(scope.dot)) throw new Error('{{.}} outside a range');
    return scope.dot;
  }
  if (expr.startsWith('$')) {
    const v = scope.vars[expr];
    if (v === undefined) throw new Error(`undefined variable ${expr}`);
    return v;
  }
  const v = data[expr.slice(1)];
  if (v === undefined)
    throw new Error(
      `no field ${expr} (known: ${Object.keys(data)
        .map((k) => `.${k}`)
        .join(', ')})`,
    );
  return v;
}

/** Go's truth: false for 0, "" and empty lists. */
function truthy(v: Value): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== 0 && v !== '';
}

function print(v: Value): string {
  // As Go prints a slice.
  return Array.isArray(v) ? `[${v.join(' ')}]` : String(v);
}

function run(nodes: Node[], scope: Scope, data: TemplateData): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'value') out += print(lookup(n.expr, scope, data));
    else if (n.kind === 'if') out += run(truthy(lookup(n.expr, scope, data)) ? n.then : n.else, scope, data);
    else {
      const list = lookup(n.expr, scope, data);
      if (!Array.isArray(list)) throw new Error(`cannot range over ${n.expr}: not a list`);
      list.forEach((item, i) => {
        const vars = { ...scope.vars, ...(n.indexVar ? { [n.indexVar]: i } : {}), ...(n.valueVar ? { [n.valueVar]: item } : {}) };
        out += run(n.body, { dot: item, vars }, data);
      });
    }
  }
  return out;
}

/** Render a template; an unsupported or malformed action throws naming it. */
export function renderTemplate(src: string, data: TemplateData): string {
  const { nodes } = parse(lex(src), { i: 0 }, []);
  return run(nodes, { dot: data, vars: {} }, data);
}

/** containerd's template data for the node's pod CIDRs: the first one, all of them, and a default route per IP family. */
export function podCidrData(cidrs: string[]): TemplateData {
  const routes = [...new Set(cidrs.map((c) => (c.includes(':') ? '::/0' : '0.0.0.0/0')))];
  return { PodCIDR: cidrs[0] ?? '', PodCIDRRanges: cidrs, Routes: routes };
}
