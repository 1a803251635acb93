// The product version, reported by `--version`, in agent batches and in the User-Agent.
export const VERSION = '0.1.0';
