import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The engine stays readable: no source file of it over 300 lines (a file that grows past it is split along a seam). */
describe('source files of @fleet/core', () => {
  const files = (readdirSync(__dirname, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .map((f) => relative(__dirname, join(__dirname, f)));

  it('are found (a wrong folder would check nothing)', () => {
    expect(files).toEqual(expect.arrayContaining(['planner/planner.ts', 'executor/execute-plan.ts', 'queue/coordinator.ts']));
  });

  it.each(files)('%s has at most 300 lines', (file) => {
    expect(readFileSync(join(__dirname, file), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });
});
