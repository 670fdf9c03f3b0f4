/**
 * @fleet/core: migrate the databases of multi-database and multi-tenant TypeORM/PostgreSQL apps.
 * Public API: config helpers, commands (migrate, revert, stamp, status, history), the engine's
 * building blocks (planner, storage, events) for embedding.
 */
import 'reflect-metadata';

export { defineFleetConfig } from './config/fleet-config';
export type { FleetConfig, DatabaseConfig } from './config/fleet-config';
export { loadConfig, findConfigFile, validateConfig } from './config/load-config';
export type { LoadedConfig, LoadedDatabase } from './config/load-config';

export { migrate, revert, stamp } from './commands/run-commands';
export type { MigrateOptions, RevertOptions, StampOptions, RunOptions } from './commands/run-commands';
export { status } from './commands/status';
export type { StatusReport, TargetStatus } from './commands/status';
export { history } from './commands/history';
export { verify } from './commands/verify';
export { drift } from './commands/drift';
export { lint } from './commands/lint';
export type { LintReport, LintOptions, TrackLint } from './commands/lint';
export type { LintFinding, LintRule } from './lint/tenant-lint';
export { ExtensionError } from './extensions/extensions';
export { relocateExtensions } from './commands/relocate-extensions';
export type { RelocateExtensionsOptions } from './commands/relocate-extensions';
export type { RelocationReport, DatabaseRelocation, ExtensionMove } from './extensions/relocate';
export { TenantDropRefusedError } from './tenancy/strategy';
export type { TenancyStrategy } from './tenancy/strategy';
export { generateMigrationSql } from './commands/generate';
export { cadenceCheck, sharedMigration } from './commands/cadence';
export type { CadenceReport, CadenceProblem, CadenceOptions, SharedMigrationOptions } from './commands/cadence';
export { CADENCE_FILE, readCadence } from './cadence/cadence-record';
export type { CadenceRecord, CadenceStep, CadenceMigration } from './cadence/cadence-record';
export { sharedTables, tableMappings, workspaceApps } from './cadence/shared-tables';
export type { GenerateOptions, GeneratedSql } from './commands/generate';
export type { DriftReport, TargetDrift } from './commands/drift';
export type { DriftChange } from './drift/entity-diff';
export { registerTenants, createTenant, dropTenant, TenantOnboardingError } from './commands/tenants';
export type { CreateTenantOptions, CreateTenantResult, DropTenantOptions } from './commands/tenants';
export type { RegisterTenantsOptions } from './commands/tenants';
export { ProgressReporter } from './reporters/progress-reporter';
export { formatRunReport, formatStatus, formatVerify } from './reporters/text-format';
export type { VerifyReport } from './commands/verify';
export { whenTenant, discoverTenants } from './tenants/discover';
export { assertTenantId } from './tenants/tenant-id';
export type { TenantsConfig, TenantDiscovery, TenantRecord, DiscoveryContext } from './config/fleet-config';
export type { HistoryReport, HistoryEntry } from './commands/history';
export type { CommonOptions } from './commands/runtime';

export type { FleetMigration, TargetInfo, MigrationDefinition } from './migration/migration';
export { loadMigrationsFromDirectory, migrationsFromClasses, checksumOf } from './migration/load-migrations';
export * from './planner/planner';
export type { VersionStore, RecordInput } from './storage/version-store';
export { MemoryVersionStore } from './storage/memory-version-store';
export { PostgresVersionStore } from './storage/postgres-version-store';
export type { FleetEvent, EventListener } from './events';
export type { RunReport, TargetResult, RunSummary, TargetOutcome } from './executor/result';
export * from './errors';
export { quoteIdent, assertSafeIdentifier } from './identifiers';
export { runCommand, VERBS } from './cli/run-command';
export { verbs, findVerb } from './cli/registry';
export { convert, parseCommandLine, verbHelp, generalHelp } from './cli/parse';
export { defineVerb, flagOf, fieldOf, EXIT_OK, EXIT_FAILED, EXIT_USAGE } from './cli/verb';
export type { VerbDefinition, OptionSpec, OptionKind, VerbContext, VerbOutcome } from './cli/verb';
export { askOnTerminal } from './cli/main';
export { tuneHeapGrowth } from './cli/heap';
export { colorsFor, styler, plain } from './reporters/style';
export type { Style, Tone } from './reporters/style';
export { watchInterrupts } from './cli/interrupts';
export type { Interrupts } from './cli/interrupts';
export { dryRun } from './commands/run-commands';
export type { RunPlan, PlanGroup, PlannedTarget } from './commands/plan-run';
export type { Verb, CommandOptions, CommandIO } from './cli/run-command';
export { commandsFor, declaredTargets, findAppConfig, pluginNaming, projectNameOf, targetNameFor, FLEET_PLUGIN } from './config/nx-project';
export type { FleetTargetNaming } from './config/nx-project';
