// Text that comes from IaC files, probed hosts (banners), agents or the collector, made safe to
// show on one line of a terminal table, a Markdown cell or a mail. A line break (CR, LF, CRLF,
// NEL, U+2028, U+2029) becomes a space, so a resource name cannot forge a line of a report;
// the other C0/C1 controls (ESC starts terminal escape sequences) and the Unicode bidirectional
// controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin, which make text display in another order
// than it reads: "Trojan Source") become a visible `?`. Machine formats (JSON, SARIF, JUnit) keep
// the text as it is, escaped by their own rules.

// eslint-disable-next-line no-control-regex
const LINE_BREAK = /[ \t]*(?:\r\n|[\r\n\u0085\u2028\u2029])[ \t]*/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One display line: line breaks become a space, tabs a space, controls and bidi controls `?`. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAK, ' ').replace(/\t/g, ' ').replace(CONTROL, '?').replace(BIDI, '?');
}
