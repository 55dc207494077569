import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import ts from "typescript";

/**
 * Keeps the promise of the `.tree` files (Sablier's branch trees): every leaf `it <title>` of a .tree file under
 * test/ has a test `it("<title>")` in the .ts files of the tree's own directory, the title as the suite writes it
 * (`it reverts with UsageMeterStaleSequence` is the test `it("reverts with UsageMeterStaleSequence")`). A tree is a
 * root line, then `├── ` / `└── ` nodes indented by `│   ` or four spaces per level; `//` lines are comments. A node
 * is a condition (`when ...` or `given ...`, with children) or a leaf (`it ...`, without). A leaf text that a tree
 * repeats needs as many tests of that title: each is another branch.
 */
const testRoot = fileURLToPath(new URL("..", import.meta.url));

interface TreeNode {
  text: string;
  line: number;
  children: TreeNode[];
}

interface ParsedTree {
  roots: TreeNode[];
  errors: string[];
}

/** Parses a tree and checks its shape: connectors, indentation, conditions with children, leaves without. */
function parseTree(source: string): ParsedTree {
  const roots: TreeNode[] = [];
  const errors: string[] = [];
  const rows: { node: TreeNode; depth: number; prefix: string; last: boolean }[] = [];
  const stack: TreeNode[] = [];
  source.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trimEnd();
    if (text === "" || text.startsWith("//")) return;
    if (!/^[│├└ ]/.test(text)) {
      const node = { text, line, children: [] };
      roots.push(node);
      stack.length = 0;
      stack.push(node);
      return;
    }
    const match = /^((?:│ {3}| {4})*)(├── |└── )(\S.*)$/.exec(text);
    if (match === null) {
      errors.push(`line ${line}: not a tree line: ${text}`);
      return;
    }
    const depth = match[1]!.length / 4 + 1;
    const parent = stack[depth - 1];
    if (parent === undefined || stack.length < depth) {
      errors.push(`line ${line}: indented deeper than its parent allows`);
      return;
    }
    const node = { text: match[3]!, line, children: [] };
    parent.children.push(node);
    stack.length = depth;
    stack.push(node);
    rows.push({ node, depth, prefix: match[1]!, last: match[2] === "└── " });
  });
  // Each node's connector and indentation follow from its place: └── for a last child, │ under a non-last one.
  const isLast = new Map<TreeNode, boolean>();
  const walk = (node: TreeNode) =>
    node.children.forEach((child, i) => {
      isLast.set(child, i === node.children.length - 1);
      walk(child);
    });
  roots.forEach(walk);
  const ancestors: TreeNode[] = [];
  for (const { node, depth, prefix, last } of rows) {
    ancestors.length = depth - 1;
    ancestors.push(node);
    if (last !== isLast.get(node)) errors.push(`line ${node.line}: ${last ? "└──" : "├──"} on a node that is not one`);
    const expected = ancestors
      .slice(0, -1)
      .map((ancestor) => (isLast.get(ancestor) ? "    " : "│   "))
      .join("");
    if (prefix !== expected) errors.push(`line ${node.line}: the indentation does not match the tree above it`);
    if (node.text.startsWith("it ")) {
      if (node.children.length > 0) errors.push(`line ${node.line}: a leaf (it ...) with children`);
    } else if (/^(when|given) /.test(node.text)) {
      if (node.children.length === 0) errors.push(`line ${node.line}: a condition without children`);
    } else errors.push(`line ${node.line}: neither "when ...", "given ..." nor "it ...": ${node.text}`);
  }
  if (roots.length === 0) errors.push("no root line");
  return { roots, errors };
}

/** The leaves of a tree, as the titles their tests must have ("it reverts with X" is the test "reverts with X"). */
function leavesOf(tree: ParsedTree): { title: string; line: number }[] {
  const leaves: { title: string; line: number }[] = [];
  const walk = (node: TreeNode) => {
    if (node.text.startsWith("it ")) leaves.push({ title: node.text.slice(3), line: node.line });
    node.children.forEach(walk);
  };
  tree.roots.forEach(walk);
  return leaves;
}

/** The titles of the `it(...)` calls in TypeScript source whose title is a literal (template titles cannot match). */
function testTitles(source: string): string[] {
  const file = ts.createSourceFile("tests.ts", source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const titles: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "it") {
      const title = node.arguments[0];
      if (title && (ts.isStringLiteral(title) || ts.isNoSubstitutionTemplateLiteral(title))) titles.push(title.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return titles;
}

/** The leaves without a test of their title (or with fewer tests than the tree has leaves of that text). */
function missingLeaves(tree: ParsedTree, titles: readonly string[]): string[] {
  const tests = new Map<string, number>();
  for (const title of titles) tests.set(title, (tests.get(title) ?? 0) + 1);
  const missing: string[] = [];
  for (const leaf of leavesOf(tree)) {
    const left = tests.get(leaf.title) ?? 0;
    if (left === 0) missing.push(`line ${leaf.line}: it ${leaf.title}`);
    else tests.set(leaf.title, left - 1);
  }
  return missing;
}

function treeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : treeFiles(path);
    return entry.name.endsWith(".tree") ? [path] : [];
  });
}

const titlesByDirectory = new Map<string, string[]>();

/** The test titles of the .ts files next to `treePath` (its directory only, not below it). */
function titlesNextTo(treePath: string): string[] {
  const dir = dirname(treePath);
  let titles = titlesByDirectory.get(dir);
  if (titles === undefined) {
    titles = readdirSync(dir)
      .filter((name) => name.endsWith(".ts"))
      .flatMap((name) => testTitles(readFileSync(join(dir, name), "utf8")));
    titlesByDirectory.set(dir, titles);
  }
  return titles;
}

describe("every leaf of a .tree file has a test", function () {
  const trees = treeFiles(testRoot).sort();

  it("finds the trees", function () {
    expect(trees.length).to.be.greaterThan(0);
  });

  for (const path of trees) {
    const name = relative(testRoot, path);
    describe(name, function () {
      const tree = parseTree(readFileSync(path, "utf8"));

      it("is well formed", function () {
        expect(tree.errors, `${name}:\n  ${tree.errors.join("\n  ")}`).to.deep.equal([]);
      });

      it(`has a test for each leaf in ${relative(testRoot, dirname(path)) || "test"}/*.ts`, function () {
        const missing = missingLeaves(tree, titlesNextTo(path));
        expect(missing, `${name}: leaves without a test of that title:\n  ${missing.join("\n  ")}`).to.deep.equal([]);
      });
    });
  }

  describe("the check itself", function () {
    const sample = [
      "// a comment",
      "f",
      "├── when x is zero",
      "│   └── it reverts",
      "└── given y",
      "    ├── it pays",
      "    └── when z",
      "        └── it reverts",
    ].join("\n");
    const source = `describe("f", () => { it("reverts", f); it(\`pays\`, f); it(\`skip ${"$"}{n}\`, f); });`;

    it("reads the leaves of a well-formed tree and the literal titles of a test file", function () {
      const tree = parseTree(sample);
      expect(tree.errors).to.deep.equal([]);
      expect(leavesOf(tree).map((leaf) => leaf.title)).to.deep.equal(["reverts", "pays", "reverts"]);
      expect(testTitles(source)).to.deep.equal(["reverts", "pays"]);
    });

    it("names each leaf without a test, counting repeated leaves", function () {
      expect(missingLeaves(parseTree(sample), testTitles(source))).to.deep.equal(["line 8: it reverts"]);
      expect(missingLeaves(parseTree(sample), ["reverts", "reverts", "pays"])).to.deep.equal([]);
    });

    it("refuses a misshapen tree", function () {
      const errors = (text: string) => parseTree(text).errors;
      expect(errors("f\n└── when x")).to.deep.equal(["line 2: a condition without children"]);
      expect(errors("f\n└── it reverts\n    └── it pays")).to.include("line 2: a leaf (it ...) with children");
      expect(errors("f\n├── it reverts")).to.deep.equal(["line 2: ├── on a node that is not one"]);
      expect(errors("f\n├── when x\n    └── it reverts\n└── it pays")).to.deep.equal([
        "line 3: the indentation does not match the tree above it",
      ]);
      expect(errors("f\n└── reverts")).to.deep.equal(['line 2: neither "when ...", "given ..." nor "it ...": reverts']);
      expect(errors("f\n        └── it reverts")).to.deep.equal(["line 2: indented deeper than its parent allows"]);
    });
  });
});
