/** Options shared by the Fleet executors (each schema.json declares the ones its verb takes). */
export interface FleetExecutorOptions {
  app?: string;
  config?: string;
  database?: string;
  tenant?: string;
  shard?: string;
  concurrency?: number;
  maxConnections?: number;
  lockWait?: number;
  json?: boolean;
  verbose?: boolean;
  to?: string;
  steps?: number;
  check?: boolean;
  failFast?: boolean;
  allowOutOfOrder?: boolean;
  html?: string;
  journal?: string;
  /** tenant-create / tenant-drop */
  id?: string;
  attr?: string;
  yes?: boolean;
  target?: string;
  track?: 'global' | 'tenant';
  dryRun?: boolean;
  force?: boolean;
  createMissing?: boolean;
  /** lint */
  fix?: boolean;
}
