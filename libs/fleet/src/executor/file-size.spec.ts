import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The engine's executor stays readable: no source file of it over 300 lines. */
describe('executor/ source files', () => {
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it.each(files)('%s has at most 300 lines', (file) => {
    expect(readFileSync(join(__dirname, file), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });
});
