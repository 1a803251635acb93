// Types of daemons.mjs (plain ESM so that bench/*.mjs can import it too).
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './netns.mjs';

export function findBinary(name: string, extra?: string[]): string | null;
export function userExists(name: string): boolean;

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface NginxConfig {
  /** Listen addresses (ip:port) that answer plain HTTP. */
  http: string[];
  tls: TlsFiles & { listen: string };
  /** worker_connections; 64 unless said. */
  connections?: number;
}

export class Daemons {
  constructor(lab: Lab);
  readonly lab: Lab;
  readonly logs: Map<string, () => string>;
  tempDir(prefix: string): string;
  start(name: string, argv: string[], options?: { stopSignal?: NodeJS.Signals }): ChildProcess;
  redis(bin: string, options: { port: number; bind?: string; dir?: string; extra?: string[] }): ChildProcess;
  memcached(bin: string, options: { port: number; bind?: string; extra?: string[] }): ChildProcess;
  nginx(bin: string, dir: string, config: NginxConfig): ChildProcess;
  sshd(bin: string, options: { port: number; hostKey: string; listen?: string; options?: string[] }): ChildProcess;
  postgres(
    bin: string,
    options: { data: string; port: number; socketDir: string; listen?: string; settings?: string[] },
  ): ChildProcess;
  ready(ports: number[], options?: { host?: string; timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export function selfSigned(dir: string, cn: string, sans: string[], org?: string): TlsFiles;
export function sshHostKey(dir: string, sshKeygen?: string): string;
export function nginxConfig(dir: string, config: NginxConfig): string;
export function initPostgres(dir: string, initdb: string): string;
