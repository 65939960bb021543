/**
 * A strict well-formedness check for the XML subset SVG files use (prolog, elements,
 * quoted attributes, text, comments, the five predefined entities and numeric ones).
 * Neither Deno nor Bun ships DOMParser, so the tests bring this small checker.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

/** Parses `text` into its root element; throws a SyntaxError naming the offset of the first problem. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`not well-formed XML at offset ${i}: ${why}`);
  };
  const checkText = (s: string) => {
    const bad = s.match(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)|</);
    if (bad) fail(`raw "${bad[0]}" in text or attribute`);
  };
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))![0];
      i += ws.length;
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
      } else return;
    }
  };
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end < 0) fail("unterminated XML declaration");
    i = end + 2;
  }
  skipMisc();
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(i));
    if (!open) return fail("expected an element");
    i += open[0].length;
    const node: XmlElement = { name: open[1], attributes: {}, children: [] };
    for (;;) {
      const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(text.slice(i));
      if (!attr) break;
      if (attr[1] in node.attributes) fail(`duplicate attribute ${attr[1]}`);
      const value = attr[3] ?? attr[4];
      checkText(value);
      node.attributes[attr[1]] = value;
      i += attr[0].length;
    }
    const close = /^\s*(\/?)>/.exec(text.slice(i));
    if (!close) fail(`bad tag <${node.name}>`);
    i += close![0].length;
    if (close![1] === "/") return node;
    for (;;) {
      const next = text.indexOf("<", i);
      if (next < 0) fail(`unclosed <${node.name}>`);
      checkText(text.slice(i, next));
      i = next;
      if (text.startsWith("<!--", i)) {
        skipMisc();
      } else if (text.startsWith("</", i)) {
        const end = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i));
        if (!end || end[1] !== node.name) fail(`expected </${node.name}>`);
        i += end![0].length;
        return node;
      } else {
        node.children.push(element());
      }
    }
  };
  const root = element();
  skipMisc();
  if (i !== text.length) fail("content after the root element");
  return root;
}

/** Every element named `name` in the tree, depth first. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
