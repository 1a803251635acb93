// The one error catalogue. Every error portdrift raises on purpose carries a stable code from
// this table; scripts, the HTTP API and docs/errors.md rely on the codes, never on the messages.
// A test keeps docs/errors.md and this table in sync: add a row to both.
//
// `http` is the status the collector answers with when the error reaches an HTTP handler.
// Every PortdriftError that reaches a CLI entrypoint is exit code 1 (docs/design/architecture.md#exit-codes).

export const catalogue = {
  // --- general ------------------------------------------------------------------------------
  PD_USAGE: { http: 400, summary: 'bad command-line arguments' },
  PD_CONFIG_INVALID: {
    http: 400,
    summary: 'a configuration file or flag set is invalid; every problem is listed as `path: message`',
  },
  PD_CONFIG_READ: { http: 500, summary: 'a configuration file could not be read or parsed' },
  PD_INTERNAL: { http: 500, summary: 'an unexpected internal error (a bug: please report it)' },

  // --- IaC extraction (also used as `problems[].code`) ---------------------------------------
  PD_IAC_NOTHING_READ: { http: 400, summary: 'no IaC file could be read from the given paths' },
  PD_IAC_PATH: { http: 400, summary: 'an IaC path does not exist or cannot be read' },
  PD_IAC_PARSE: { http: 400, summary: 'an IaC file does not parse' },
  PD_IAC_TOO_LARGE: { http: 400, summary: 'an IaC file is larger than the extraction limit' },
  PD_IAC_BINARY: { http: 400, summary: 'an IaC file is binary, not text' },
  PD_IAC_EMPTY: { http: 400, summary: 'an IaC file or YAML document is empty' },
  PD_IAC_UNKNOWN_TAG: {
    http: 400,
    summary: 'a YAML tag that the format does not define (e.g. an unknown CloudFormation intrinsic)',
  },
  PD_IAC_SHAPE: { http: 400, summary: 'an IaC value has the wrong shape or type (e.g. a port that is not a number)' },
  PD_IAC_DUPLICATE_KEY: {
    http: 400,
    summary: 'a YAML map repeats a key; the last value is used, as YAML tools do (a warning)',
  },
  PD_IAC_NOT_RENDERED: {
    http: 400,
    summary: 'a template directory (a Helm chart) that must be rendered before its IaC can be extracted',
  },
  PD_PLAN_INVALID: {
    http: 400,
    summary: 'a --plan file is not a Terraform plan in JSON (`terraform show -json PLANFILE`, format 1.x)',
  },
  PD_IAC_MODULE: {
    http: 400,
    summary: 'a Terraform module source cannot be followed (not local, missing, or a cycle)',
  },
  PD_STATE_INVALID: { http: 400, summary: 'a Terraform state file is not v4 state nor `terraform show -json` output' },
  PD_STATE_FETCH: {
    http: 502,
    summary: 'a remote Terraform state (s3://, https://, tfc://) could not be fetched: network, auth or server error',
  },
  PD_TARGETS_INVALID: { http: 400, summary: 'a targets file is invalid' },
  PD_PARAMETERS_INVALID: { http: 400, summary: 'a CloudFormation parameters file is invalid' },

  // --- ports, targets and probing -----------------------------------------------------------
  PD_PORT_SPEC: { http: 400, summary: 'a port spec is invalid (expected e.g. `22,80,8000-8100`, `top` or `all`)' },
  PD_DURATION: { http: 400, summary: 'a duration is invalid (expected e.g. `500ms`, `30s`, `5m`, `1h`)' },
  PD_TARGET_REFUSED: {
    http: 400,
    summary: 'a target address is refused: link-local, cloud metadata, multicast or broadcast, not explicitly allowed',
  },
  PD_TARGET_OUT_OF_SCOPE: { http: 400, summary: 'a target address lies outside the configured scope' },
  PD_DNS: { http: 502, summary: 'a host name could not be resolved' },
  PD_PROBE_LOCAL: {
    http: 500,
    summary: 'the prober kept failing for a local reason (EMFILE, EADDRNOTAVAIL, …) after retries',
  },

  // --- collector API ------------------------------------------------------------------------
  PD_HTTP_BAD_REQUEST: { http: 400, summary: 'the request is malformed' },
  PD_HTTP_UNAUTHORIZED: { http: 401, summary: 'no valid token was given' },
  PD_HTTP_FORBIDDEN: {
    http: 403,
    summary: "the token may not do this: its role does not allow it, or a batch names another agent than the token's",
  },
  PD_HTTP_NOT_FOUND: { http: 404, summary: 'no such route or object' },
  PD_HTTP_METHOD: { http: 405, summary: 'the method is not allowed on this route' },
  PD_HTTP_TOO_LARGE: { http: 413, summary: 'the request body is larger than the limit' },
  PD_HTTP_BUSY: {
    http: 503,
    summary: 'the collector is reading as many batch bytes as it holds at once; retry after the Retry-After seconds',
  },
  PD_HTTP_MEDIA_TYPE: { http: 415, summary: 'the request content type is not accepted on this route' },
  PD_RECORD_OUT_OF_SCOPE: {
    http: 403,
    summary:
      'an observation batch has a record for an address outside ' +
      "the agent token's scope; the line is named and nothing " +
      'of the batch is stored',
  },
  PD_WIRE_INVALID: { http: 400, summary: 'an observation batch is invalid; the line and field are named' },
  PD_IDEMPOTENCY_KEY: {
    http: 400,
    summary: 'the Idempotency-Key header is missing or invalid, or does not match the batch id',
  },
  PD_STORE: { http: 500, summary: 'the store failed (disk full, locked, corrupt)' },
  PD_STORE_UNAVAILABLE: {
    http: 503,
    summary: 'the store (a PostgreSQL database) cannot be reached now; retry after the Retry-After seconds',
  },
  PD_STORE_SCHEMA: { http: 500, summary: 'the store was written by a newer portdrift (unknown schema version)' },
  PD_FINDING_NOT_FOUND: { http: 404, summary: 'no finding with that id' },
  PD_FINDING_RESOLVED: { http: 409, summary: 'the finding is resolved: there is nothing to acknowledge' },
  PD_TOKEN: { http: 400, summary: 'a token operation failed (unknown token, bad role)' },
  PD_ENROLL_SECRET_INVALID: {
    http: 401,
    summary: 'POST /v1/enroll: the bearer is no enroll secret the collector knows',
  },
  PD_ENROLL_SECRET_EXPIRED: { http: 401, summary: 'POST /v1/enroll: the enroll secret is past its --expires time' },
  PD_ENROLL_SECRET_EXHAUSTED: {
    http: 401,
    summary: 'POST /v1/enroll: the enroll secret has enrolled its --max-uses agents',
  },
  PD_ENROLL_SECRET_REVOKED: { http: 401, summary: 'POST /v1/enroll: the enroll secret was revoked (token revoke)' },
  PD_ENROLL_OUT_OF_SCOPE: {
    http: 403,
    summary: "POST /v1/enroll: a CIDR the agent asks for is not inside the enroll secret's scope (the CIDR is named)",
  },
  PD_AGENT_NAME_TAKEN: {
    http: 409,
    summary: 'POST /v1/enroll: a live agent holds that name; `portdrift agents revoke NAME` first to re-enroll it',
  },

  // --- clients of the collector ---------------------------------------------------------------
  PD_COLLECTOR_UNREACHABLE: { http: 502, summary: 'the collector could not be reached at the given URL' },
  PD_INTERRUPTED: { http: 503, summary: 'the command was stopped by SIGINT or SIGTERM before it finished' },
  PD_COLLECTOR_RESPONSE: { http: 502, summary: 'the collector answered with an error or an unexpected body' },
  PD_SPOOL: {
    http: 500,
    summary: "the agent's spool directory cannot be created, read or written, or is not private to the agent's user",
  },

  // --- live inventory (scan --live aws) -------------------------------------------------------
  PD_AWS_AUTH: {
    http: 502,
    summary:
      'no usable AWS credentials: none found where the credential ' +
      'chain looked, or AWS rejected them (expired, invalid)',
  },
  PD_AWS_ACCESS_DENIED: {
    http: 403,
    summary: 'AWS denied one read (the IAM action is named); everything else was still read',
  },
  PD_AWS_API: {
    http: 502,
    summary: 'an AWS read failed after retries (network, service error); everything else was still read',
  },

  // --- reports, alerts, fixes -----------------------------------------------------------------
  PD_SMTP: { http: 502, summary: 'a report could not be sent over SMTP (it is kept and retried)' },
  PD_WEBHOOK: { http: 502, summary: 'a webhook delivery failed (it is retried with backoff)' },
  PD_FIX_UNSAFE: {
    http: 400,
    summary: 'a fix was refused: the value comes from an expression that cannot be edited safely',
  },
  PD_FIX_NOT_CONFIRMED: {
    http: 400,
    summary: '`fix --environment --apply` was not confirmed (answer `yes`, or pass `--yes`): nothing was changed',
  },
} as const satisfies Record<string, { http: number; summary: string }>;

export type ErrorCode = keyof typeof catalogue;

export interface ErrorOptions {
  cause?: unknown;
  /** Structured detail for machines: e.g. `{ problems: ['listen: must be HOST:PORT'] }`. */
  details?: Record<string, unknown>;
}

export class PortdriftError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortdriftError';
    this.code = code;
    this.details = options.details;
  }

  get httpStatus(): number {
    return catalogue[this.code].http;
  }

  /** The JSON body the collector sends for this error. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isPortdriftError(err: unknown): err is PortdriftError {
  return err instanceof PortdriftError;
}

/** Node system errors (`err.code === 'ECONNREFUSED'`, …). */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}
