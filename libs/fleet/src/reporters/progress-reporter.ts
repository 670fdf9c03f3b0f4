import type { FleetEvent } from '../events';
import { printable as p } from '../terminal-text';
import { formatHealthEvent } from './health-text';

export interface ProgressReporterOptions {
  /** A terminal gets a live line; anything else gets a plain line every `intervalMs`. */
  isTTY: boolean;
  /** Print every migration, not just failures (default: when the run has at most 10 targets). */
  verbose?: boolean;
  intervalMs?: number;
  now?: () => number;
}

/**
 * Turns engine events into human progress on a stream (stderr): per-migration lines for small
 * runs, a live progress line (done, failed, total, rate, ETA) for fleets.
 */
export class ProgressReporter {
  private total = 0;
  private done = 0;
  private failed = 0;
  private started = 0;
  private lastLine = 0;
  private verbose = false;
  private liveLineShown = false;
  private readonly now: () => number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: ProgressReporterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  readonly listener = (event: FleetEvent): void => {
    switch (event.type) {
      case 'run-start':
        this.total = event.targets;
        this.started = this.now();
        this.lastLine = this.started;
        this.verbose = this.options.verbose ?? event.targets <= 10;
        this.line(
          `${event.command}: ${event.targets} target${event.targets === 1 ? '' : 's'}${event.moreToCome ? ' (the global tracks; tenants follow once discovered)' : ''}` +
            (event.queued ? ', queued for the workers' : `, concurrency ${event.concurrency}`) +
            (!event.queued && event.connections !== undefined && event.connections < event.concurrency
              ? ` (limited to ${event.connections} connection${event.connections === 1 ? '' : 's'} by the server budget)`
              : ''),
        );
        break;
      case 'targets-added':
        this.total += event.count;
        if (event.count > 1) this.line(`+${event.count} targets (${this.total} in all)`);
        if (this.options.verbose === undefined && this.total > 10) this.verbose = false;
        break;
      case 'notice':
        this.line(p(event.message));
        break;
      case 'lock-wait':
        this.line(`${p(event.target)}: waiting for the lock held by ${event.holder ? `pid ${event.holder.pid} (${p(event.holder.applicationName)})` : 'another session'}`);
        break;
      case 'health':
        this.line(formatHealthEvent(event));
        break;
      case 'retry':
        this.line(
          `${p(event.target)}: attempt ${event.attempt} failed${event.migration ? ` at ${p(event.migration)}` : ''} (${event.sqlState} ${event.kind}, lock_timeout ${event.lockTimeoutMs} ms): ${p(event.message)}; ` +
            `requeued, retry in ${(event.waitMs / 1000).toFixed(1)} s with lock_timeout ${event.nextLockTimeoutMs} ms (${event.retriesLeft} more after it)`,
        );
        break;
      case 'resume':
        this.line(`${p(event.target)}: resuming ${p(event.migration)} (attempt ${event.attempt}): its ${event.skipped} completed statement(s) are not run again`);
        break;
      case 'index-repaired':
        this.line(`${p(event.target)}: dropped INVALID index ${p(event.schema)}.${p(event.index)} on ${p(event.table)} left by a failed concurrent build of ${p(event.migration)}`);
        break;
      case 'migration-end':
        if (event.outcome === 'failed') this.line(`${p(event.target)}: FAILED ${p(event.migration)} (${event.direction}): ${p(event.reason)}`);
        else if (this.verbose) {
          const what = event.outcome === 'skipped' ? `skipped ${p(event.migration)} (${p(event.reason)})` : `${event.outcome} ${p(event.migration)}`;
          this.line(`${p(event.target)}: ${what} ${event.outcome === 'skipped' ? '' : `(${event.durationMs} ms)`}`.trimEnd());
        }
        break;
      case 'target-end': {
        this.done++;
        const r = event.result;
        if (r.outcome === 'failed' || r.outcome === 'blocked') {
          this.failed++;
          if (r.outcome === 'blocked') for (const f of r.findings) if (f.severity === 'error') this.line(`${p(r.target)}: ${p(f.message)}`);
          if (r.failed && !r.failed.migration) this.line(`${p(r.target)}: ${p(r.failed.error.message)}`);
        }
        if (!this.verbose) this.progress(false);
        break;
      }
      case 'run-end':
        if (!this.verbose) this.progress(true);
        if (this.liveLineShown) this.write('\n');
        this.liveLineShown = false;
        break;
      default:
        break;
    }
  };

  private progress(final: boolean): void {
    const now = this.now();
    const interval = this.options.intervalMs ?? (this.options.isTTY ? 100 : 5000);
    if (!final && now - this.lastLine < interval) return;
    this.lastLine = now;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = this.done / seconds;
    const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const text =
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} done, ${this.failed} failed, ` +
      `${rate.toFixed(1)}/s${final ? `, ${seconds.toFixed(1)} s` : `, ETA ${eta}s`}`;
    if (this.options.isTTY) {
      this.write(`\r\x1b[2K${text}`);
      this.liveLineShown = true;
    } else this.write(`${text}\n`);
  }

  private line(text: string): void {
    if (this.liveLineShown) {
      this.write('\r\x1b[2K');
      this.liveLineShown = false;
    }
    this.write(`${text}\n`);
  }
}
