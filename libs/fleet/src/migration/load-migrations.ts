import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MigrationSourceError } from '../errors';
import { loadUserModule } from '../config/user-modules';
import { compareMigrations, FleetMigration, MigrationDefinition } from './migration';
import { checkMigrationRetries } from './retries';

const MIGRATION_FILE = /\.(ts|js|cjs|mts|mjs)$/;
const NOT_A_MIGRATION = /(\.d\.ts|\.spec\.ts|\.test\.ts|\.map)$/;

export function checksumOf(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n/g, '\n')).digest('hex');
}

/** Extracts the ordering key from a migration name (TypeORM: the trailing JavaScript timestamp). */
export function timestampOf(name: string, source: string): number {
  const match = /(\d+)$/.exec(name);
  if (!match) {
    throw new MigrationSourceError(
      `Migration ${name} (${source}) has no timestamp at the end of its name. ` +
        'Name the class like TypeORM does, e.g. CreateUsers1700000000000 (or generate it with the migration generator).',
      { migration: name, source },
    );
  }
  return Number(match[1]);
}

/**
 * Where in the source a load error (not a compile error: those name the line already) happened:
 * V8 reports an early error such as a duplicate declaration at a line of the compiled output,
 * with that line's text. The text is looked up in the source to name its line there.
 */
export function whereInSource(cause: unknown, path: string, shown: string): string {
  if (!(cause instanceof SyntaxError) || /Cannot compile /.test(cause.message)) return '';
  const [first, code] = (cause.stack ?? '').split('\n');
  if (!first?.startsWith(`${path}:`) || !code?.trim()) return '';
  let lines: string[];
  try {
    lines = readFileSync(path, 'utf8').split(/\r?\n/);
  } catch {
    return '';
  }
  const at = lines.flatMap((line, i) => (line.trim() === code.trim() ? [i + 1] : []));
  return at.length === 0 ? ` (at \`${code.trim()}\`)` : ` (${shown}:${at[at.length - 1]}: \`${code.trim()}\`)`;
}

/**
 * Loads every migration class from a directory. Each file may export one or more classes that
 * implement `up`/`down`. Names must be unique across the directory.
 */
export function loadMigrationsFromDirectory(dir: string, workspaceRoot = process.cwd()): MigrationDefinition[] {
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    files = readdirSync(dir)
      .filter((f) => MIGRATION_FILE.test(f) && !NOT_A_MIGRATION.test(f))
      .sort();
  } catch (cause) {
    throw new MigrationSourceError(`Migrations directory ${dir} does not exist or cannot be read. Create it or fix the path in the Fleet config.`, { dir }, { cause });
  }
  const byName = new Map<string, MigrationDefinition>();
  for (const file of files) {
    const path = join(dir, file);
    const source = relative(workspaceRoot, path);
    let mod: Record<string, unknown>;
    try {
      mod = loadUserModule(path);
    } catch (cause) {
      throw new MigrationSourceError(`Migration file ${source} failed to load: ${(cause as Error)?.message ?? cause}${whereInSource(cause, path, source)}`, { source }, { cause });
    }
    const checksum = checksumOf(readFileSync(path, 'utf8'));
    let found = 0;
    for (const exported of Object.values(mod)) {
      if (typeof exported !== 'function' || typeof exported.prototype?.up !== 'function') continue;
      found++;
      const instance = new (exported as new () => FleetMigration)();
      const name = instance.name || (exported as { name: string }).name;
      const existing = byName.get(name);
      if (existing) {
        throw new MigrationSourceError(`Two migrations are named ${name}: ${existing.source} and ${source}. Names identify applied migrations; rename one.`, {
          migration: name,
          sources: [existing.source, source],
        });
      }
      if (typeof instance.down !== 'function') {
        throw new MigrationSourceError(`Migration ${name} (${source}) has no down() method.`, { migration: name, source });
      }
      byName.set(name, {
        name,
        timestamp: timestampOf(name, source),
        checksum,
        transactional: instance.transaction !== false,
        retries: checkMigrationRetries(instance.retries, name, source),
        source,
        instance,
      });
    }
    if (found === 0) {
      throw new MigrationSourceError(`${source} is in a migrations directory but exports no migration class (a class with up() and down()).`, { source });
    }
  }
  return [...byName.values()].sort(compareMigrations);
}

/** Builds definitions from classes given in code (tests, programmatic use). */
export function migrationsFromClasses(classes: Array<new () => FleetMigration>, checksumSalt = ''): MigrationDefinition[] {
  const defs = classes.map((cls) => {
    const instance = new cls();
    const name = instance.name || cls.name;
    return {
      name,
      timestamp: timestampOf(name, cls.name),
      checksum: checksumOf(checksumSalt + cls.toString()),
      transactional: instance.transaction !== false,
      retries: checkMigrationRetries(instance.retries, name, cls.name),
      source: `class ${cls.name}`,
      instance,
    };
  });
  const seen = new Set<string>();
  for (const d of defs) {
    if (seen.has(d.name)) throw new MigrationSourceError(`Two migrations are named ${d.name}.`, { migration: d.name });
    seen.add(d.name);
  }
  return defs.sort(compareMigrations);
}
