/**
 * One regular expression written as several literals, so a long expected message stays within the line limit:
 * `rx(/^refused: /, /the port …$/)` is `/^refused: the port …$/`. Split only between whole tokens.
 */
export function rx(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''));
}
