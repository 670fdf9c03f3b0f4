/**
 * The child process of compiled-files.ts: reads `{ options, jobs, answer }` as JSON on stdin,
 * compiles and caches every job, and writes the answers as JSON on stdout. It loads swc, so that
 * the process that runs the migrations does not.
 */
import { readFileSync } from 'node:fs';
import { compileJobs, CompileJob, CompiledFilesOptions } from './compiled-files';

if (require.main === module) {
  // A Ctrl-C in the terminal reaches this process too: the batch (at most 500 files, under a
  // second) is finished, so every entry is whole and the parent gets its answer; the parent
  // stops the run itself.
  process.on('SIGINT', () => undefined);
  const request = JSON.parse(readFileSync(0, 'utf8')) as { options: CompiledFilesOptions; jobs: CompileJob[]; answer: string[] };
  process.stdout.write(JSON.stringify(compileJobs(request.options, request.jobs, request.answer)));
}
