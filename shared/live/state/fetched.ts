// What reading one remote state gave: its text, or a problem with a catalogue code
// (PD_IAC_PATH: nothing there; PD_STATE_FETCH: the source could not be reached or refused).
export type Fetched =
  | { ok: true; text: string }
  | { ok: false; code: 'PD_IAC_PATH' | 'PD_STATE_FETCH'; message: string };
