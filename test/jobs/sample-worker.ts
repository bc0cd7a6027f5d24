// A job thread's worker for the tests of the protocol (job-thread.test.ts): each job says what to
// do, so one worker covers progress, errors, a worker that dies and the reader that leaves.
import { AppError } from '../../src/errors.ts';
import { answerJobs } from '../../src/jobs/job-worker.ts';
import { SAMPLE_MAX_AHEAD, type SampleJob } from './sample-job.ts';

answerJobs<SampleJob, number, number>(async (job, control) => {
  if (job.kind === 'fail') throw new AppError(422, 'sample_failed', 'the sample job failed', [{ field: 'to', reason: 'too far' }], 19, 7);
  if (job.kind === 'throw-plain') throw new TypeError('not an AppError');
  // what node-postgres throws when the server closes the connection under a query
  if (job.kind === 'lose-storage') throw new Error('Connection terminated unexpectedly');
  if (job.kind === 'crash') process.exit(3);
  for (let i = 1; i <= job.to; i++) await control.progress(i);
  return { result: job.to };
}, { maxAhead: SAMPLE_MAX_AHEAD });
