// The jobs sample-worker.ts answers (shared with the test; the worker module itself runs only in its thread).
export type SampleJob =
  | { kind: 'count'; to: number }
  | { kind: 'fail' }
  | { kind: 'crash' }
  | { kind: 'throw-plain' }
  | { kind: 'lose-storage' };

/** Progress messages a count job may have posted and not yet had taken. */
export const SAMPLE_MAX_AHEAD = 3;
