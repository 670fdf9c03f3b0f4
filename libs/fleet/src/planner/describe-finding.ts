import type { Finding } from './planner';

/**
 * Human text for a finding, saying what to do about it. `scope` is the command-line selection of
 * the target alone (`--app app1 --database users --tenant acme`): every command a hint names
 * carries it, so that running the hint as printed fixes that target and touches no other.
 */
export function describeFinding(f: Finding, scope = ''): string {
  const stamp = (to: string) => `\`fleet stamp ${scope ? `${scope} ` : ''}--to ${to}\``;
  switch (f.kind) {
    case 'checksum-mismatch':
      return (
        `${f.migration} was edited after it was applied (checksum ${short(f.recorded)} recorded, ${short(f.current)} now). ` +
        'Restore the applied version and put the change in a new migration; if the edit is harmless (comments, formatting), ' +
        `accept it with ${stamp(f.currentVersion)} (records the current checksums, runs nothing).`
      );
    case 'missing-from-code':
      return (
        `${f.migration} is applied in the database but missing from the code. ` +
        'Restore the migration file (check your branch), or, if it was removed on purpose, ' +
        `stamp the target to the last migration you keep (${stamp('<that migration>')}).`
      );
    case 'out-of-order':
      return (
        `${f.migration} is pending but ordered before ${f.appliedAfter}, which is already applied. ` +
        (f.severity === 'error'
          ? 'Give it a newer timestamp (rename it), or pass --allow-out-of-order to apply it anyway.'
          : 'It will be applied out of order (--allow-out-of-order).')
      );
    case 'interrupted':
      return (
        `${f.migration} is non-transactional and was interrupted: it started but never finished, so it may be partly applied. ` +
        `Inspect the target, finish or undo its changes by hand, then run ${stamp(f.migration)} (it completed) ` +
        `or ${stamp('<the migration before it>')} (it is undone).`
      );
    case 'unknown-migration':
      return `${f.option} ${f.migration}: no migration has that name. Run \`history\` or \`status\` to see the names.`;
    case 'nothing-to-revert':
      return 'Nothing is applied: nothing to revert.';
    case 'stamp-unrecords':
      return (
        `stamp --to ${f.migration} would un-record ${f.unrecorded.length} applied migration(s) (${f.unrecorded.join(', ')}) without running their down(): ` +
        'the next migrate would run them again over objects that exist. To undo them, use revert; if they really are not in the database, pass --force.'
      );
    case 'lint-refused':
      return `${f.migration} is pending here but cannot run on a tenant as written: ${f.reason} Nothing was run on this target (\`fleet lint\` shows every finding).`;
  }
}

function short(checksum: string): string {
  return checksum.slice(0, 12);
}
