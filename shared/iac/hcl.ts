// The one home of @cdktf/hcl2json (iac.md §1, §2). CDKTF is deprecated and 0.21.0 is its last
// release, so everything else talks to this module only, and a replacement parser needs one file.
//
// The package starts its WASM the moment it is imported (+~46 MB RSS, 150–300 ms), and a load
// failure there becomes an unhandled rejection nobody can catch (iac.md §2.2): it is imported
// lazily, once per process, on the first parse. All calls share that one instance; it
// serialises them internally, so callers may use Promise.all freely.
//
// Its types reference `lib: dom` (iac.md §2.2), so they are not imported here either: the few
// shapes used are declared below.

export type HclBody = Record<string, unknown>;

/** A node of hcl2json's expression AST. Lines are 0-based and relative to the expression. */
export interface HclAstNode {
  type: string;
  range: { start: { line: number; column: number; byte: number }; end: { line: number; column: number; byte: number } };
  children: HclAstNode[];
  meta?: { name?: string; type?: string; value?: string; fullAccessor?: string; items?: Record<string, string> };
}

interface Hcl2Json {
  parse(filename: string, contents: string): Promise<HclBody>;
  getExpressionAst(filename: string, expression: string): Promise<HclAstNode | null>;
}

/** One diagnostic of a failed parse; lines and columns 1-based. */
export interface HclDiagnostic {
  line: number;
  column: number;
  message: string;
}

/** A file that does not parse, with every diagnostic hcl2json gave. */
export class HclParseError extends Error {
  readonly diagnostics: HclDiagnostic[];
  constructor(message: string, diagnostics: HclDiagnostic[]) {
    super(message);
    this.name = 'HclParseError';
    this.diagnostics = diagnostics;
  }
}

let loading: Promise<Hcl2Json> | undefined;

function hcl2json(): Promise<Hcl2Json> {
  loading ??= import('@cdktf/hcl2json') as unknown as Promise<Hcl2Json>;
  return loading;
}

/** Parse one HCL file (`.tf`, `.tfvars`) into hcl2json's JSON shape (iac.md §2.3). */
export async function parseHcl(file: string, text: string): Promise<HclBody> {
  const lib = await hcl2json();
  try {
    return await lib.parse(file, text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new HclParseError(message, parseDiagnostics(message));
  }
}

/** The expression AST of `expression` (without the `${ }` wrapper), or null. Throws on bad syntax. */
export async function expressionAst(file: string, expression: string): Promise<HclAstNode | null> {
  const lib = await hcl2json();
  return lib.getExpressionAst(file, expression);
}

// `parse config: [f.tf:2,10-3,1: Summary; Detail f.tf:…: …]` (iac.md §2.4); the end position
// may omit its line. The detail runs until the next diagnostic or the closing bracket.
const DIAGNOSTIC = /([^\s[]+):(\d+),(\d+)-(?:\d+,)?\d+: ([^;]+); /g;

export function parseDiagnostics(message: string): HclDiagnostic[] {
  const body = message.replace(/^parse config: \[/, '').replace(/\]\s*$/, '');
  const found = [...body.matchAll(DIAGNOSTIC)];
  return found.map((m, i) => {
    const detailStart = m.index + m[0].length;
    const detailEnd = i + 1 < found.length ? found[i + 1]!.index : body.length;
    const detail = body.slice(detailStart, detailEnd).trim();
    return { line: Number(m[2]), column: Number(m[3]), message: detail ? `${m[4]!.trim()}: ${detail}` : m[4]!.trim() };
  });
}
