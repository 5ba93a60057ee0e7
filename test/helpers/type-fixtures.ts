/**
 * Compiles type-test fixtures (user code that is never run) with the TypeScript compiler API
 * and the project's own `tsconfig.json`.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** The compiler options of the repository's `tsconfig.json`, without emit. */
export function projectCompilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, "tsconfig.json"), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

/**
 * Compiles `files` together in one program; for each file (absolute path), its diagnostics
 * written by `format`. Fails when a file is missing.
 */
export function fixtureDiagnostics(
  files: readonly string[],
  format: (d: ts.Diagnostic) => string,
): Map<string, string[]> {
  const program = ts.createProgram(files, projectCompilerOptions());
  const found = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    assert.ok(source, `fixture ${file} is missing`);
    found.set(file, ts.getPreEmitDiagnostics(program, source).map(format));
  }
  return found;
}
