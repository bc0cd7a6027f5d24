// Card-writing PUTs of one account take turns (their check and write never interleave with
// another's); other accounts' PUTs do not wait for them.
import { describe, expect, it } from 'vitest';
import { CreateTurns } from '../../src/carddav/card-create-turns.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CreateTurns', () => {
  it('runs the tasks of one key one after another, in order, even when one fails', async () => {
    const turns = new CreateTurns();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([turns.run('acme', task('a')), turns.run('acme', task('b', true)), turns.run('acme', task('c'))]);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('lets another key run meanwhile', async () => {
    const turns = new CreateTurns();
    let release!: () => void;
    const held = turns.run('acme', () => new Promise<void>((resolve) => { release = resolve; }));
    const other = await turns.run('globex', async () => 'done');
    expect(other).toBe('done');
    release();
    await held;
  });
});
