// Glob matching, on picomatch (its one home in the product). Two kinds of pattern exist:
//   - resource-address globs (targets files, `.portdriftignore`, the collector's ignore rules):
//     `*` is any run of characters, dots, brackets and slashes included (`module.api.*` covers
//     `module.api.aws_instance.x["a/b"]`), `?` one character where the caller allows it;
//   - path globs (`--state envs/*/terraform.tfstate`, on disk and over S3 keys): `*` and `?` stay
//     within one path segment, as in a shell.
// Every other character is literal in both (a resource address is full of brackets and quotes),
// so picomatch's brackets, braces, extglobs and negation are escaped or turned off.
import picomatch from 'picomatch';

/** Characters picomatch would read as syntax (quotes too: it drops them); here they mean themselves. */
const SYNTAX = /[\\[\]{}()!+@|^$,"']/g;

const BASE: picomatch.PicomatchOptions = { nonegate: true, noextglob: true, nobrace: true, strictSlashes: true };

/** Whether `s` has a wildcard at all (`*` or `?`). */
export const hasGlob = (s: string): boolean => /[*?]/.test(s);

/** The part of a pattern before its first wildcard (an S3 prefix to list). */
export const literalPrefix = (pattern: string): string => {
  const at = pattern.search(/[*?]/);
  return at === -1 ? pattern : pattern.slice(0, at);
};

/**
 * A resource-address glob. `question`: `?` matches one character (targets files); without it a
 * `?` is literal (ignore rules, where only `*` ever was a wildcard).
 */
export function addressGlob(pattern: string, o: { question?: boolean } = {}): (address: string) => boolean {
  let escaped = pattern.replace(SYNTAX, '\\$&');
  if (!o.question) escaped = escaped.replace(/\?/g, '\\?');
  // `bash`: a single `*` crosses `/` as `**` does; `dot`: and a `.` after it.
  const isMatch = picomatch(escaped, { ...BASE, bash: true, dot: true });
  // picomatch never matches the empty string; `*` always did.
  return (address) => isMatch(address) || (address === '' && /^\**$/.test(pattern));
}

/** A path glob: `*` and `?` within one segment; hidden names are the caller's decision. */
export function pathGlob(pattern: string): (path: string) => boolean {
  const isMatch = picomatch(pattern.replace(SYNTAX, '\\$&'), { ...BASE, dot: true });
  // One argument only: picomatch's second one asks for a result object (Array.filter passes an index).
  return (path) => isMatch(path);
}
