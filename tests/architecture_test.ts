/**
 * Architecture rules (STYLE.md §8): the core stays importable by URL with no import
 * map, what runs in a page (the core, trainer/, parallel/) imports no `node:` module, imports
 * run one way (core → trainer/ → parallel/ → train/, never back), and every folder's mod.ts
 * exposes exactly its public files.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Core folders and files: URL-importable, web APIs only. */
const CORE = ["tensor", "layers", "losses", "optim", "data"];
/**
 * Core files allowed to use the network/filesystem through `node:` (they are the I/O boundary).
 * tensor/kernels/blas/_ffi.ts opens native libraries through Deno.dlopen / bun:ffi, each
 * behind a feature test, so tensor/ stays importable by URL and in a browser.
 */
const IO_FILES = new Set([
  "tensor/kernels/wasm/kernels_env.ts",
  "tensor/kernels/blas/_ffi.ts",
  "data/_fs.ts",
  "data/fetch_cached.ts",
  "data/mnist.ts",
  "data/cifar10.ts",
  "data/mod.ts",
]);
/**
 * Core files allowed to import the bare package `zod` (validation at the boundary). Their
 * folder's mod.ts leaves them out so it stays importable with no import map; the top-level
 * mod.ts exports them instead.
 */
const BOUNDARY_FILES = new Set(["layers/spec.ts"]);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(join(root, dir))) return out;
  for (const name of readdirSync(join(root, dir))) {
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(join(dir, name)));
    else if (name.endsWith(".ts")) out.push(join(dir, name));
  }
  return out.sort();
}

function importSpecifiers(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gm,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) specs.push(m[1]);
  return specs;
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const coreFiles = CORE.flatMap(tsFiles);

test("architecture: the core folders exist and hold TypeScript files", () => {
  assert.ok(coreFiles.length > 10, `expected core files, found ${coreFiles.length}`);
});

for (const file of coreFiles) {
  test(`architecture: ${file} imports only relative .ts paths (or allowed boundary packages)`, () => {
    const source = readFileSync(join(root, file), "utf8");
    for (const spec of importSpecifiers(source)) {
      if (spec.startsWith("node:")) {
        assert.ok(
          IO_FILES.has(file),
          `${file} imports "${spec}", but node: APIs are allowed only in ${
            [...IO_FILES].join(", ")
          }`,
        );
      } else if (spec === "zod" || spec === "comlink") {
        assert.ok(
          BOUNDARY_FILES.has(file),
          `${file} imports "${spec}", allowed only in ${[...BOUNDARY_FILES].join(", ")}`,
        );
      } else {
        assert.ok(
          spec.startsWith("./") || spec.startsWith("../"),
          `${file} imports "${spec}": core imports must be relative`,
        );
        assert.ok(
          spec.endsWith(".ts"),
          `${file} imports "${spec}": relative imports must end in .ts`,
        );
      }
    }
  });

  test(`architecture: ${file} uses no Deno.*, Bun.* or process globals`, () => {
    if (IO_FILES.has(file)) return;
    const code = withoutComments(readFileSync(join(root, file), "utf8"));
    const hit = code.match(/\b(Deno|Bun|process)\s*[.?[]/);
    assert.equal(hit, null, `${file} uses ${hit?.[0]}: core code must stick to web APIs`);
  });
}

/**
 * The layers, lowest first: a file may import its own layer and those below it, never one
 * above. The core is one layer (its folders import each other); trainer/ holds the
 * `Trainer` interface, the shared step code and `LocalTrainer`; parallel/ implements
 * `DataParallel` on them; train/ (the loop, the CLI, createTrainer) sits on top.
 */
const LAYERS: readonly (readonly string[])[] = [CORE, ["trainer"], ["parallel"], ["train"]];
/**
 * Folders whose modules run in a web page (and in Workers there): no node: module, no runtime
 * globals. The core has its own rules above; web/ holds the pages' own modules.
 */
const PAGE_SIDE = ["trainer", "parallel", "web"];
/**
 * Page-side files allowed to touch a runtime global: parallel/_platform.ts reaches
 * node:worker_threads through `process.getBuiltinModule` (Deno, Bun) behind a feature test
 * and uses module Web Workers where there is no `process` (a browser).
 */
const PLATFORM_FILES = new Set(["parallel/_platform.ts"]);

function layerOf(path: string): number {
  const top = path.split("/")[0];
  return LAYERS.findIndex((layer) => layer.includes(top));
}

const layeredFiles = LAYERS.flat().flatMap(tsFiles);

for (const file of layeredFiles) {
  test(`architecture: ${file} imports nothing from a layer above its own`, () => {
    const own = layerOf(file);
    const source = readFileSync(join(root, file), "utf8");
    for (const spec of importSpecifiers(source)) {
      if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
      const target = normalize(join(dirname(file), spec));
      const layer = layerOf(target);
      assert.ok(
        layer <= own,
        `${file} imports "${spec}" (${target}), which is in ${target.split("/")[0]}/, above ${
          file.split("/")[0]
        }/ (imports run ${LAYERS.map((l) => l.join("|")).join(" → ")})`,
      );
    }
  });
}

// JavaScriptCore (Bun) runs a function whose parameters have default values 2× slower even when
// every argument is passed, and a loop called with fewer arguments than it declares up to 25×
// slower (an element-wise add of 98k floats: 31 µs, 68 µs, 870 µs): kernels take every argument.
for (
  const file of tsFiles("tensor/kernels").filter((f) =>
    !f.includes("/blas/") && !f.includes("/wasm/")
  )
) {
  test(`architecture: ${file} has no default parameter values in its kernels`, () => {
    const source = readFileSync(join(root, file), "utf8");
    for (const match of source.matchAll(/function (\w+)\s*\(([^)]*)\)/g)) {
      if (file.endsWith("/mod.ts") && match[1] === "describeKernels") continue;
      const defaulted = [...match[2].matchAll(/(\w+)\s*(?::[^=,]+)?=[^>]/g)].map((m) => m[1]);
      assert.deepEqual(
        defaulted,
        [],
        `${file}: ${match[1]}() gives defaults to ${defaulted.join(", ")}`,
      );
    }
  });
}

for (const file of PAGE_SIDE.flatMap(tsFiles)) {
  test(`architecture: ${file} runs in a page (no node:/bun: module, no runtime globals)`, () => {
    const source = readFileSync(join(root, file), "utf8");
    for (const spec of importSpecifiers(source)) {
      assert.ok(
        !/^(node|bun|npm|jsr):/.test(spec),
        `${file} imports "${spec}": page-side code (${
          PAGE_SIDE.join(", ")
        }) uses web APIs only; I/O and the CLI sit in train/`,
      );
    }
    if (PLATFORM_FILES.has(file)) return;
    const hit = withoutComments(source).match(/\b(Deno|Bun|process)\s*[.?[]/);
    assert.equal(hit, null, `${file} uses ${hit?.[0]}: only ${[...PLATFORM_FILES].join(", ")} may`);
  });
}

const FOLDERS_WITH_MOD = [
  "tensor",
  "tensor/kernels",
  "layers",
  "losses",
  "optim",
  "optim/schedulers",
  "data",
  "trainer",
  "parallel",
  "train",
];

for (const folder of FOLDERS_WITH_MOD) {
  test(`architecture: ${folder}/mod.ts re-exports exactly its public files`, (t) => {
    const dir = join(root, folder);
    if (!existsSync(join(dir, "mod.ts"))) {
      t.skip(`${folder}/mod.ts does not exist yet`);
      return;
    }
    const mod = readFileSync(join(dir, "mod.ts"), "utf8");
    const exported = new Set(
      importSpecifiers(mod).filter((s) => s.startsWith("./")).map((s) => s.slice(2)),
    );
    const publicFiles = readdirSync(dir).filter((n) =>
      n.endsWith(".ts") && n !== "mod.ts" && !n.startsWith("_") && statSync(join(dir, n)).isFile()
    );
    const subMods = readdirSync(dir).filter((n) => existsSync(join(dir, n, "mod.ts"))).map((n) =>
      `${n}/mod.ts`
    );
    for (const file of publicFiles) {
      const path = `${folder}/${file}`;
      if (BOUNDARY_FILES.has(path)) {
        assert.ok(
          !exported.has(file),
          `${folder}/mod.ts exports ./${file}, which needs an import map; export it from ./mod.ts`,
        );
        const top = importSpecifiers(readFileSync(join(root, "mod.ts"), "utf8"));
        assert.ok(top.includes(`./${path}`), `./mod.ts does not export ./${path}`);
      } else {
        assert.ok(exported.has(file), `${relative(root, dir)}/mod.ts does not export ./${file}`);
      }
    }
    for (const spec of exported) {
      // A private file (`_x.ts`, `sub/_x.ts`) may be imported for mod.ts's own use.
      if (/(^|\/)_[^/]*\.ts$/.test(spec)) {
        assert.ok(
          !new RegExp(`^\\s*export\\s[^;]*?from\\s+["']\\./${spec}["']`, "m").test(mod),
          `${relative(root, dir)}/mod.ts re-exports the private file ./${spec}`,
        );
        continue;
      }
      assert.ok(
        publicFiles.includes(spec) || subMods.includes(spec),
        `${relative(root, dir)}/mod.ts exports ./${spec}, which is not a public file of the folder`,
      );
    }
  });
}
