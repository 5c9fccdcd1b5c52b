/**
 * Bicep files parsed with the tree-sitter Bicep grammar (WebAssembly build, so nothing native).
 * The Bicep compiler cannot be installed here (it is not on the package registries this project
 * uses), so this is the validation the tests can do: the syntax, and the cross-references read
 * from the syntax tree.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

let parser: Parser | undefined;

async function bicepParser(): Promise<Parser> {
  if (!parser) {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
    parser = new Parser();
    parser.setLanguage(await Language.load(wasm));
  }
  return parser;
}

export interface BicepFile {
  readonly root: Node;
  /** "line:column text" of every ERROR or MISSING node (empty when the file parses). */
  readonly errors: string[];
  /** Top-level declarations of one kind (`parameter_declaration`, `resource_declaration`, …) by name. */
  declarations(kind: string): Map<string, Node>;
}

export async function parseBicep(path: string): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(readFileSync(path, 'utf8'))!;
  const errors: string[] = [];
  const walk = (node: Node): void => {
    if (node.type === 'ERROR' || node.isMissing) errors.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.type} ${node.text.slice(0, 60)}`);
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return {
    root: tree.rootNode,
    errors,
    declarations: (kind) =>
      new Map(tree.rootNode.namedChildren.filter((n): n is Node => n?.type === kind).map((n) => [n.namedChildren[0]!.text, n])),
  };
}

/** The decorators written just before a declaration (`@secure()`, `@minValue(0)` …). */
export function decoratorsOf(declaration: Node): string {
  const before = declaration.previousNamedSibling;
  return before?.type === 'decorators' ? before.text : '';
}

/** The property names of the object literal `name: { … }` found first under `node`. */
export function objectKeys(node: Node, name: string): string[] {
  const property = node.descendantsOfType('object_property').find((p) => p?.namedChildren[0]?.text === name);
  const object = property?.namedChildren[1];
  if (!object || object.type !== 'object') return [];
  return object.namedChildren.filter((p): p is Node => p?.type === 'object_property').map((p) => p.namedChildren[0]!.text);
}
