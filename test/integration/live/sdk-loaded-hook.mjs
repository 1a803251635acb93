// Loaded into every node process of a test run (NODE_OPTIONS=--import): at exit, each process
// writes whether it had loaded the AWS SDK's EC2 and CloudTrail clients, and its script, into
// PD_TEST_HOOK_DIR.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.PD_TEST_HOOK_DIR;
if (dir) {
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const loaded = (name) => Object.keys(cache).some((k) => k.includes(`@aws-sdk/${name}`));
    const sdk = loaded('client-ec2');
    const record = { pid: process.pid, script: process.argv[1] ?? '', sdk, cloudtrail: loaded('client-cloudtrail') };
    record.exitedAt = Date.now();
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(record));
  });
}
