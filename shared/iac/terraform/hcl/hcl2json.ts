// The one file that imports @cdktf/hcl2json (docs/design/iac-extraction.md#hcl2json). CDKTF is deprecated and 0.21.0 is
// its last release; a replacement parser changes this file and parse-file.ts, nothing else.
//
// The package starts its WASM the moment it is imported (+~46 MB RSS, 100–300 ms), so it is
// imported lazily, once per thread, on the first parse. Its types reference `lib: dom`
// (docs/design/iac-extraction.md#hcl2json), so they are not imported either: the one shape used is declared here.

export type HclBody = Record<string, unknown>;

export interface Hcl2Json {
  /** Rejects with hcl2json's diagnostic string when the file does not parse. */
  parse(filename: string, contents: string): Promise<HclBody>;
}

let loading: Promise<Hcl2Json> | undefined;

export function loadHcl2Json(): Promise<Hcl2Json> {
  loading ??= import('@cdktf/hcl2json') as unknown as Promise<Hcl2Json>;
  return loading;
}
