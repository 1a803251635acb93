// IaC file paths as a repository sees them. `source.file` is relative to the IaC root given on
// the command line; code hosts (SARIF) and CI systems (JUnit) resolve paths from the repository
// root, so both formats join the same prefix (`--path-prefix`, by default the IaC root relative
// to the working directory) in the same way.

/** The prefix with forward slashes and no `./` or trailing `/`; '' when it names the root. */
export function normalisePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}

/** `file` under `prefix`, with forward slashes. */
export function joinPrefix(prefix: string | undefined, file: string): string {
  const p = normalisePrefix(prefix);
  const f = file.replace(/\\/g, '/').replace(/^\.\//, '');
  return p === '' ? f : `${p}/${f}`;
}
