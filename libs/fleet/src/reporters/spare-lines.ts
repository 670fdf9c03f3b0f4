import type { StatusReport } from '../commands/status';
import { printable as p } from '../terminal-text';

/** The tenant pools, apart from the targets: per database, how many spares, at head, still filling. */
export function spareLines(report: StatusReport): string[] {
  const byDatabase = new Map<string, NonNullable<StatusReport['spares']>>();
  for (const sp of report.spares ?? []) byDatabase.set(`${sp.app}/${sp.database}`, [...(byDatabase.get(`${sp.app}/${sp.database}`) ?? []), sp]);
  return [...byDatabase].map(([db, spares]) => {
    const atHead = spares.filter((sp) => sp.ready && sp.state === 'at-head').length;
    const behind = spares.filter((sp) => sp.ready && sp.state !== 'at-head').length;
    const filling = spares.filter((sp) => !sp.ready).length;
    return `SPARES   ${p(db)} (tenant pool): ${spares.length} spare(s), ${atHead} ready at head${behind ? `, ${behind} behind head (migrate catches them up)` : ''}${filling ? `, ${filling} being filled` : ''}`;
  });
}
