// `scan --live aws` reads the live inventory in a process of its own that ends with the read. The
// SDK is large to load (`@aws-sdk/client-ec2` alone is +80-90 MB of RSS: its schemas, compiled
// code and the heap they grow) and a module cannot be unloaded: read in the scanning process, it
// stays for the extraction and the comparison and stacks on their peak. A worker thread does not
// give it back either: the allocator keeps 30-50 MB of what the thread used (measured). A process
// gives everything back when it ends, and only the live objects come back, over IPC.
// The child runs with a small young generation: its garbage is pages of XML, dropped at once.
// From TypeScript sources (tests) there is no compiled child script: the read runs in this process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, PortdriftError } from '../../errors.js';
import type { ConfiguredModel } from '../../types.js';
import type { AwsReadOptions } from './index.js';
import type { ReadReply, ReadRequest } from './read-child.js';

const childUrl = new URL('./read-child.js', import.meta.url);
const childAvailable = (): boolean => childUrl.protocol === 'file:' && existsSync(fileURLToPath(childUrl));

/**
 * V8 flags of the reading process, measured on the inventory bench (its peak 153 MB without them):
 * semi-spaces of 1 MB (default: up to 16 MB) and no optimizing compiler, whose compile zones the
 * allocator keeps (-15 MB; the read waits on the network and parses XML once: no slower).
 */
const CHILD_FLAGS = ['--max-semi-space-size=1', '--no-opt'];

export async function readAwsInProcess(o: AwsReadOptions): Promise<ConfiguredModel> {
  if (!childAvailable()) {
    const { readAws } = await import('./index.js');
    return readAws(o);
  }
  const reply = await new Promise<ReadReply>((resolve, reject) => {
    let reply: ReadReply | undefined;
    // The environment is inherited: the SDK reads AWS_* (region, profile, endpoints, credentials).
    const child = spawn(process.execPath, [...CHILD_FLAGS, fileURLToPath(childUrl)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.once('message', (m: ReadReply) => (reply = m));
    child.once('error', reject);
    // Answered once the process has ended, so its memory is back before the extraction starts.
    child.once('exit', (code, signal) => {
      if (reply) resolve(reply);
      else reject(new Error(`the AWS read process ended (${signal ?? `exit code ${code}`}) before answering`));
    });
    child.send(o satisfies ReadRequest);
  });
  if ('model' in reply) return reply.model;
  const { code, message, details } = reply.error;
  if (code === undefined) throw new Error(message);
  throw new PortdriftError(code as ErrorCode, message, details ? { details } : {});
}
