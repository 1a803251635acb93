// Runs the built fingerprint runner (dist/agent/fingerprint/runner.js) on the targets given as
// JSON in argv[2] with the options in argv[3], and prints the reports as JSON, so a test can
// see what the CLI hides: attempts, bytes read and time per port. Run inside a lab namespace.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..', '..');
const { fingerprintAll } = await import(pathToFileURL(join(root, 'dist', 'agent', 'fingerprint', 'runner.js')).href);
const targets = JSON.parse(process.argv[2] ?? '[]');
const options = JSON.parse(process.argv[3] ?? '{}');
const started = performance.now();
const reports = await fingerprintAll(targets, options);
process.stdout.write(`${JSON.stringify({ reports, ms: performance.now() - started })}\n`);
