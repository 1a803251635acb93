// What every command's `--help` ends with: two or three examples and the exit codes. One table
// for all commands, so the routing table and the command files stay about what they do; a test
// runs each example's flags against the command's real options.

interface HelpAfter {
  examples: readonly string[];
  exit: readonly string[];
}

const ERROR = '1  error: bad arguments, unreadable input, collector unreachable (message on stderr)';
const CLIENT_EXIT = ['0  done', ERROR];
const DAEMON_EXIT = ['0  stopped cleanly (SIGINT/SIGTERM)', '1  error at start or while running (message on stderr)'];

const HELP: Record<string, HelpAfter> = {
  extract: {
    examples: [
      'portdrift extract infra/ --state infra/terraform.tfstate',
      "portdrift extract infra/ k8s/ --format json | jq '.resources[].name'",
    ],
    exit: [
      '0  model printed (unparsed files are listed, not fatal)',
      '1  no file could be read, or --targets/--parameters is invalid',
    ],
  },
  probe: {
    examples: [
      'portdrift probe 10.0.1.5 --ports 22,5432,8000-8100',
      'portdrift probe db.internal --ports top --all --format jsonl | jq -c .',
    ],
    exit: ['0  every host was probed', '1  bad arguments, or some host could not be probed at all (named on stderr)'],
  },
  scan: {
    examples: [
      'portdrift scan infra/ --state infra/terraform.tfstate',
      'portdrift scan infra/ --targets infra/targets.yaml --format sarif > portdrift.sarif',
      'portdrift scan infra/ --fail-on high --format junit > portdrift-junit.xml',
    ],
    exit: ['0  no finding at or above --fail-on', '2  findings at or above --fail-on', ERROR],
  },
  fix: {
    examples: [
      'portdrift fix infra/ --state infra/terraform.tfstate',
      'portdrift fix --from findings.json infra/ --write',
    ],
    exit: [
      '0  every moved finding got an edit (or there was none)',
      '1  an edit was refused (PD_FIX_UNSAFE), or an error',
    ],
  },
  report: {
    examples: [
      'portdrift report --out report.html --collector https://portdrift.internal:7600 --token-file reader.token',
      'portdrift report --send --collector https://portdrift.internal:7600 --token-file admin.token',
      'portdrift report --from findings.json --out report.html',
    ],
    exit: ['0  rendered (--out) or sent (--send)', '1  not sent (it stays in the outbox and is retried), or an error'],
  },
  collector: {
    examples: [
      'portdrift collector --iac /srv/infra --state /srv/infra/terraform.tfstate --data /var/lib/portdrift/pd.db',
      'portdrift collector --config /etc/portdrift/collector.yaml',
    ],
    exit: DAEMON_EXIT,
  },
  agent: {
    examples: [
      'portdrift agent --collector https://portdrift.internal:7600 --token-file agent.token --scope 10.0.1.0/24',
      'portdrift agent --config /etc/portdrift/agent.yaml',
      'portdrift agent --collector https://portdrift.internal:7600 ' +
        '--enroll-secret-file fleet.secret --scope 10.0.1.0/24 ' +
        '--spool /var/lib/portdrift-agent',
    ],
    exit: DAEMON_EXIT,
  },
  token: {
    examples: [
      'portdrift token create --data /var/lib/portdrift/portdrift.db --role agent --name subnet-a',
      'portdrift token list --data /var/lib/portdrift/portdrift.db',
      'portdrift token revoke --data /var/lib/portdrift/portdrift.db subnet-a',
    ],
    exit: CLIENT_EXIT,
  },
  store: {
    examples: [
      'portdrift store migrate --from /var/lib/portdrift/portdrift.db ' +
        '--to postgres://portdrift@db.internal:5432/portdrift',
      'portdrift store migrate --from ./portdrift.db --to ' +
        '"postgresql://portdrift@db.internal/portdrift?sslmode=verify-full"',
    ],
    exit: CLIENT_EXIT,
  },
  drift: {
    examples: [
      'portdrift drift --collector https://portdrift.internal:7600 --token-file reader.token',
      'portdrift drift --collector "$PORTDRIFT_URL" --format sarif --path-prefix infra > portdrift.sarif',
      'portdrift drift --collector "$PORTDRIFT_URL" --severity high --format json | jq .findings',
    ],
    exit: ['0  no open finding at or above --fail-on', '2  open findings at or above --fail-on', ERROR],
  },
  agents: {
    examples: [
      'portdrift agents --collector https://portdrift.internal:7600 --token-file reader.token',
      'portdrift agents --collector "$PORTDRIFT_URL" --format json',
      'portdrift agents revoke edge-7 --data /var/lib/portdrift/portdrift.db',
    ],
    exit: CLIENT_EXIT,
  },
  history: {
    examples: [
      'portdrift history --collector "$PORTDRIFT_URL" --since 2026-11-01T00:00:00Z',
      'portdrift history --collector "$PORTDRIFT_URL" --finding f_3c9a01 --format json',
    ],
    exit: CLIENT_EXIT,
  },
  ack: {
    examples: [
      'portdrift ack f_3c9a01 --collector "$PORTDRIFT_URL" --reason "migration until Friday" --expires 3d',
      'portdrift ack f_77aa02 --collector "$PORTDRIFT_URL" --token-file admin.token --reason "known, ticket OPS-12"',
    ],
    exit: CLIENT_EXIT,
  },
  ignore: {
    examples: [
      'portdrift ignore add --collector "$PORTDRIFT_URL" --resource "aws_instance.legacy*" --reason "decommissioned"',
      'portdrift ignore list --collector "$PORTDRIFT_URL"',
      'portdrift ignore remove --collector "$PORTDRIFT_URL" ign_4f1c2a',
    ],
    exit: CLIENT_EXIT,
  },
  completion: {
    examples: [
      'portdrift completion bash > /etc/bash_completion.d/portdrift',
      'portdrift completion zsh > "${fpath[1]}/_portdrift"',
      'portdrift completion fish > ~/.config/fish/completions/portdrift.fish',
    ],
    exit: ['0  script printed', '1  unknown shell'],
  },
};

function render(h: HelpAfter): string {
  const examples = h.examples.map((e) => `  $ ${e}\n`).join('');
  return `\nExamples:\n${examples}\nExit codes:\n${h.exit.map((e) => `  ${e}\n`).join('')}`;
}

/** The examples and exit codes of one command (empty for a command without an entry). */
export function helpAfter(command: string): string {
  const h = HELP[command];
  return h ? render(h) : '';
}

/** The examples of `portdrift --help`. */
export function rootHelpAfter(): string {
  return render({
    examples: [
      'portdrift scan infra/ --state infra/terraform.tfstate',
      'portdrift probe 127.0.0.1 --ports 1-1024',
      'portdrift scan --help',
    ],
    exit: ['0  success, no finding', '2  findings (scan, drift)', ERROR],
  });
}

/** Every command's examples, for the test that checks their flags. */
export function allExamples(): ReadonlyArray<readonly [string, string]> {
  return Object.entries(HELP).flatMap(([cmd, h]) => h.examples.map((e) => [cmd, e] as const));
}
