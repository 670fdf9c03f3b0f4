/**
 * The user's TypeScript files, compiled, and cached on disk by content (one file per source path,
 * its content's hash at the end): a warm loader reads them back and never loads a compiler.
 *
 * A file that is not cached is compiled by swc (typescript-source.ts), in a child process unless
 * swc is already loaded in this one. swc's native binary keeps ~30 MB resident in the process that
 * loads it (its code pages and its allocator's arenas; nothing gives them back), and the first
 * migrate after a new migration is written is the run that would pay it, at any fleet size: at
 * 100,000 tenants, on top of the run's own peak. The child compiles the missed file and the other
 * TypeScript files of its directory that are not cached yet (a new clone's migrations compile in
 * one child, not one per file), writes them to the cache, and exits. It costs a Node start per
 * directory compiled, once per change (a new migration: 0.22-0.31 s against 0.04-0.06 s plus
 * swc's load in the process, on a slow 2-core machine). If it cannot run, or says nothing of the file,
 * the file is compiled here as before, so the error a user sees is the compiler's own.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compileTypeScript, CompileOptions } from './typescript-source';

/** Bumped when the compiler, its options or the cache's format change (1: tsc, 3: swc through jiti's cache, 4: this cache). */
export const TRANSFORM_VERSION = 4;

/** Siblings compiled with a missed file: at most this many, and this many bytes of source. */
const SIBLINGS_MAX = 500;
const SIBLINGS_MAX_BYTES = 8 * 1024 * 1024;

const TYPESCRIPT = /\.[cm]?tsx?$/;

export interface CompileJob {
  file: string;
  source: string;
}

/** What the child answers for a job it was asked to return (`code`), or could not compile (`error`). */
export type CompileAnswer = { file: string; code: string } | { file: string; error: string };

export interface CompiledFilesOptions extends CompileOptions {
  /** Where compiled files are kept; none: nothing is cached (every load compiles). */
  dir?: string;
  /** 'child' compiles misses in a child process; 'auto' (default): a child unless swc is already loaded here. */
  compiler?: 'auto' | 'child' | 'in-process';
}

export class CompiledFiles {
  /** Files compiled in this process (a child's failure, a syntax error to report, or swc already here). */
  compiledHere = 0;

  constructor(private readonly options: CompiledFilesOptions = {}) {}

  /** The compiled JavaScript of `file`, whose text is `source`. */
  code(file: string, source: string): string {
    const cached = this.cached(file, source);
    if (cached !== undefined) return cached;
    // Asked each time: once swc is loaded here (a fallback did it), a child would save nothing.
    const compiler = this.options.compiler ?? 'auto';
    if (compiler === 'child' || (compiler === 'auto' && !swcLoadedHere())) {
      const answer = this.compileInChild(file, source);
      if (answer && 'code' in answer) return answer.code;
    }
    this.compiledHere++;
    const code = compileTypeScript(source, file, this.options);
    this.store(file, source, code);
    return code;
  }

  /** The cached output of `file` for exactly this source, if any. */
  cached(file: string, source: string): string | undefined {
    if (!this.options.dir) return undefined;
    let text: string;
    try {
      text = readFileSync(cachePath(this.options.dir, file), 'utf8');
    } catch {
      return undefined;
    }
    const trailer = trailerOf(file, source, this.options);
    return text.endsWith(trailer) ? text.slice(0, -trailer.length) : undefined;
  }

  /** Writes an output to the cache (a temporary file renamed over the old one: a reader never sees half). */
  store(file: string, source: string, code: string): void {
    if (!this.options.dir) return;
    try {
      mkdirSync(this.options.dir, { recursive: true });
      const path = cachePath(this.options.dir, file);
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, code + trailerOf(file, source, this.options));
      renameSync(temporary, path);
    } catch {
      // A cache that cannot be written costs a compile next time, nothing else.
    }
  }

  /** The missed file and its directory's uncached TypeScript siblings, compiled by a child; its answer for `file`. */
  private compileInChild(file: string, source: string): CompileAnswer | undefined {
    const jobs: CompileJob[] = [{ file, source }, ...this.uncachedSiblings(file)];
    try {
      const output = execFileSync(process.execPath, [...childLoader(), require.resolve('./compile-child')], {
        input: JSON.stringify({ options: this.options, jobs, answer: [file] }),
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 300_000,
        stdio: ['pipe', 'pipe', 'ignore'],
        windowsHide: true,
      });
      return (JSON.parse(output) as CompileAnswer[]).find((a) => a.file === file);
    } catch {
      return undefined;
    }
  }

  private uncachedSiblings(file: string): CompileJob[] {
    if (!this.options.dir) return [];
    const dir = dirname(file);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return [];
    }
    const jobs: CompileJob[] = [];
    let bytes = 0;
    for (const name of names) {
      if (jobs.length >= SIBLINGS_MAX || bytes >= SIBLINGS_MAX_BYTES) break;
      const path = join(dir, name);
      if (path === file || !TYPESCRIPT.test(name) || /\.d\.[cm]?ts$/.test(name)) continue;
      try {
        if (!statSync(path).isFile()) continue;
        const text = readFileSync(path, 'utf8');
        if (this.cached(path, text) !== undefined) continue;
        jobs.push({ file: path, source: text });
        bytes += text.length;
      } catch {
        continue;
      }
    }
    return jobs;
  }
}

/** The child's work (compile-child.ts): every job compiled and stored; answers for those named in `answer`, and for every failure. */
export function compileJobs(options: CompiledFilesOptions, jobs: readonly CompileJob[], answer: readonly string[]): CompileAnswer[] {
  const files = new CompiledFiles({ ...options, compiler: 'in-process' });
  const wanted = new Set(answer);
  const answers: CompileAnswer[] = [];
  for (const job of jobs) {
    let code: string;
    try {
      code = compileTypeScript(job.source, job.file, options);
    } catch (err) {
      answers.push({ file: job.file, error: (err as Error).message });
      continue;
    }
    files.store(job.file, job.source, code);
    if (wanted.has(job.file)) answers.push({ file: job.file, code });
  }
  return answers;
}

function cachePath(dir: string, file: string): string {
  return join(dir, `${basename(dirname(file))}-${basename(file).replace(TYPESCRIPT, '')}.${hash(file).slice(0, 16)}.js`);
}

/** Ends a cached output: what it was compiled from (version, options, path and content). */
function trailerOf(file: string, source: string, options: CompileOptions): string {
  return `\n//# fleet-compiled ${hash(`${TRANSFORM_VERSION}\u0000${options.strictNullChecks}\u0000${file}\u0000${source}`)}\n`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Whether @swc/core is loaded in this process already (in this repository, by @swc-node/register). */
function swcLoadedHere(): boolean {
  try {
    return require.cache[require.resolve('@swc/core')] !== undefined;
  } catch {
    return false;
  }
}

/** This module as TypeScript (this repository, Jest) needs the repository's loader in the child. */
function childLoader(): string[] {
  return __filename.endsWith('.ts') ? ['-r', require.resolve('@swc-node/register')] : [];
}
