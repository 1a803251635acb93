// The process of read-process.ts: one live read (readAws), with the AWS SDK loaded here and not
// in the process that extracts and compares. It answers once, over the IPC channel, with the
// configured model or the error as plain fields (a PortdriftError's code and details), and ends.
// Signals are the parent's to handle (a first Ctrl-C stops probing, not the read); when the
// parent is gone (the channel closes), this process ends too.
import { isPortdriftError } from '../../errors.js';
import type { ConfiguredModel } from '../../types.js';
import { type AwsReadOptions, readAws } from './index.js';

export type ReadRequest = AwsReadOptions;
export type ReadReply =
  | { model: ConfiguredModel }
  | { error: { code?: string; message: string; details?: Record<string, unknown> } };

if (process.send) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  process.once('disconnect', () => process.exit(1));
  process.once('message', (o: ReadRequest) => {
    // Ends once the answer is written to the channel: nothing of the SDK (a keep-alive socket, a
    // credential refresh timer) may hold the process, which the parent waits for.
    const answer = (reply: ReadReply): void => void process.send!(reply, () => process.exit(0));
    readAws(o).then(
      (model) => answer({ model }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        const typed = isPortdriftError(e) ? { code: e.code, ...(e.details ? { details: e.details } : {}) } : {};
        answer({ error: { message: e.message, ...typed } });
      },
    );
  });
}
