// HTML escaping for the report. Finding messages carry host names, file names and service
// banners, any of which can hold markup or bidi controls: everything interpolated into HTML goes
// through here, made one safe line first (U+202E would reorder what the reader sees).
import { oneLine } from '../../shared/format/safe-text.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return oneLine(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
