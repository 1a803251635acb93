// Compose port declarations Compose itself rejects are problems with their line, not silence.
import { describe, expect, it } from 'vitest';
import { extractCompose } from '../../../../shared/iac/compose.js';

const compose = (text: string) => extractCompose({ path: '/x/docker-compose.yml', file: 'docker-compose.yml', text });

describe('compose: malformed ports', () => {
  it(
    'a ports or expose that is not a list, an entry of the wrong type, ' +
      'and mismatched ranges are problems; the good entries are extracted',
    () => {
      const m = compose(
        'services:\n  web:\n    image: x\n    ports: "8080:80"\n    expose: 3000\n  api:\n    image: y\n    ' +
          'ports:\n      - [80]\n      - null\n      - "1-3:4-9"\n      - ' +
          '"8000-8002:9000-9002"\n      - "5000:5000"\n    expose:\n      - 4000\n      - {a: 1}\n',
      );
      expect(m.endpoints.map((e) => [e.resource, e.port, e.toPort ?? null, e.source.line])).toEqual([
        ['compose:api', 9000, 9002, 12],
        ['compose:api', 5000, null, 13],
        ['compose:api', 4000, null, 15],
      ]);
      expect(m.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
        '4: compose:web services.web.ports: must be a list (`- "8080:80"`), got "8080:80"',
        '5: compose:web services.web.expose: must be a list (`- "3000"`), got 3000',
        '9: compose:api services.api.ports[0]: [80] is not a port, a range or PORT/PROTOCOL',
        '10: compose:api services.api.ports[1]: null is not a port, a range or PORT/PROTOCOL',
        '11: compose:api services.api.ports[2]: "1-3:4-9" maps a ' +
          'range of 3 ports onto 6; the ranges must be the same size',
        '16: compose:api services.api.expose[1]: {a: 1} is not a port, a range or PORT/PROTOCOL',
      ]);
      expect(m.problems.every((p) => p.code === 'PD_IAC_SHAPE')).toBe(true);
    },
  );

  it('an unknown tag poisons only its value: the rest of the file is extracted', () => {
    const m = compose('services:\n  api:\n    image: !custom y\n    ports:\n      - "5000:5000"\n');
    expect(m.endpoints.map((e) => e.port)).toEqual([5000]);
    expect(m.problems.map((p) => p.code)).toEqual(['PD_IAC_UNKNOWN_TAG']);
  });
});
