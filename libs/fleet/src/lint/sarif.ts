/**
 * `fleet lint --format sarif`: the findings as SARIF 2.1.0, the format GitHub code scanning
 * uploads (github/codeql-action/upload-sarif). Every rule is listed in tool.driver.rules (id,
 * short description, help with the rewrite, default level); each result names its rule, its
 * level, and where the statement was sent from (the migration file, relative to the workspace,
 * and the line of the call when known). Suppressed findings stay in, marked `inSource` with the
 * comment's reason, so code scanning shows them as dismissed rather than losing them.
 */
import { createHash } from 'node:crypto';
import { ALL_RULES, RiskyRule } from './rules';
import type { LintFinding } from './tenant-lint';

export interface SarifTrack {
  app: string;
  database: string;
  track: string;
  findings: LintFinding[];
}

type Level = 'error' | 'warning' | 'note';

const TENANT_RULES: Record<string, { why: string; rewrite: string }> = {
  'schema-qualified': {
    why: 'A tenant-track statement names schema "public": run per tenant, it acts on public instead of the tenant.',
    rewrite: 'Drop the qualifier (`fleet lint --fix`).',
  },
  'other-schema': {
    why: 'A tenant-track statement names another schema than its own and the shared ones.',
    rewrite: 'Name objects unqualified; Fleet sets search_path per tenant.',
  },
  'set-search-path': { why: "A tenant-track migration changes search_path, which Fleet sets to the tenant's schema.", rewrite: 'Remove the statement.' },
  'set-role': { why: 'A tenant-track migration changes the role of the session Fleet migrates with.', rewrite: 'Run it outside the tenant track, or grant the role.' },
  'create-extension': {
    why: 'An extension is database-wide: a tenant migration cannot install it per tenant.',
    rewrite: 'CREATE EXTENSION IF NOT EXISTS name, without a SCHEMA clause.',
  },
  unparsable: { why: "PostgreSQL's parser could not read a statement: it was not checked.", rewrite: 'Check the statement runs on PostgreSQL.' },
  'not-checked': {
    why: 'The track does not run on an empty database: later migrations were not checked.',
    rewrite: 'Make the migrations run on an empty database (fleet lint shows the error).',
  },
};

export function toSarif(tracks: readonly SarifTrack[], toolVersion: string): Record<string, unknown> {
  const rules: Array<Record<string, unknown>> = ALL_RULES.map(riskyRule);
  const index = new Map(ALL_RULES.map((r, i) => [r.code, i]));
  const results: Array<Record<string, unknown>> = [];
  for (const t of tracks) {
    for (const f of t.findings) {
      const id = f.code ?? `tenant/${f.rule}`;
      if (!index.has(id)) {
        const tenant = TENANT_RULES[f.rule] ?? { why: f.rule, rewrite: '' };
        index.set(id, rules.length);
        rules.push({
          id,
          name: f.rule,
          shortDescription: { text: tenant.why },
          help: { text: tenant.rewrite, markdown: tenant.rewrite },
          defaultConfiguration: { level: level(f.severity === 'info' ? 'warning' : f.severity) },
        });
      }
      const ruleLevel = f.code ? level(ALL_RULES[index.get(id)!].severity) : level(f.severity === 'info' ? 'warning' : f.severity);
      const location = f.source && !f.source.startsWith('class ') ? f.source.split('\\').join('/') : null;
      results.push({
        ruleId: id,
        ruleIndex: index.get(id),
        // A suppressed (or informational tenant) finding keeps its rule's level; `suppressions` says it was dismissed.
        level: f.severity === 'info' && !f.suppressed ? 'note' : ruleLevel,
        message: { text: `${t.app}/${t.database} ${t.track} track, ${f.migration}: ${f.message}${f.statement ? `\nStatement: ${f.statement}` : ''}` },
        ...(location
          ? { locations: [{ physicalLocation: { artifactLocation: { uri: location, uriBaseId: '%SRCROOT%' }, region: { startLine: f.line && f.line > 0 ? f.line : 1 } } }] }
          : {}),
        partialFingerprints: { fleetFinding: fingerprint(t, f) },
        ...(f.suppressed !== undefined ? { suppressions: [{ kind: 'inSource', justification: f.suppressed }] } : {}),
        properties: { app: t.app, database: t.database, track: t.track, migration: f.migration },
      });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'fleet-lint', version: toolVersion, rules } },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The workspace root (where nx.json or the Fleet config is).' } } },
        results,
      },
    ],
  };
}

function riskyRule(r: RiskyRule): Record<string, unknown> {
  return {
    id: r.code,
    name: r.name,
    shortDescription: { text: r.why },
    fullDescription: { text: `${r.why} Safe rewrite: ${r.rewrite}` },
    help: { text: `${r.rewrite}\nSuppress one statement: -- fleet-lint-disable-next-statement ${r.code}: <why it is safe here>`, markdown: `**Safe rewrite:** ${r.rewrite}` },
    defaultConfiguration: { level: level(r.severity) },
    properties: { tags: ['sql', 'migration', 'postgresql'] },
  };
}

function level(severity: 'error' | 'warning'): Level {
  return severity === 'error' ? 'error' : 'warning';
}

/** Stable across runs while the finding stays: no line number (a line moves when code is added above). */
function fingerprint(t: SarifTrack, f: LintFinding): string {
  return createHash('sha256')
    .update([t.app, t.database, t.track, f.migration, f.code ?? f.rule, f.statement].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}
