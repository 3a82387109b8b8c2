/**
 * Retention of the audit trail: monthly indices (`<prefix>-YYYY.MM`) are deleted once every
 * event they can hold is older than the retention. An index covers one calendar month (UTC), so
 * it expires `months` months after that month ends: with 12 months, `2024.05` (events up to
 * 31 May 2024) goes on 1 June 2025, never earlier. Only names of exactly that shape under exactly
 * the prefix are considered, so another prefix sharing the start (`audit-events-bench-…`) and
 * anything not made by the audit store are never touched.
 */
export interface ExpiredIndex {
  index: string;
  /** The month it holds, `YYYY-MM`. */
  month: string;
}

export function monthlyIndexPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{4})\\.(\\d{2})$`);
}

/** The first instant at which nothing older than `months` months can be in the index's month. */
export function expiresAt(year: number, month: number, months: number): Date {
  // Date.UTC rolls month overflow into years: month is 1-based here, so `month` is the next month.
  return new Date(Date.UTC(year, month + months, 1));
}

export function expiredIndices(indices: readonly string[], prefix: string, months: number, now: Date): ExpiredIndex[] {
  if (!Number.isInteger(months) || months < 1) throw new RangeError(`retention must be at least one month (${months})`);
  const pattern = monthlyIndexPattern(prefix);
  return indices
    .flatMap((index) => {
      const m = pattern.exec(index);
      if (!m) return [];
      const year = Number(m[1]);
      const month = Number(m[2]);
      if (month < 1 || month > 12) return [];
      return expiresAt(year, month, months).getTime() <= now.getTime() ? [{ index, month: `${m[1]}-${m[2]}` }] : [];
    })
    .sort((a, b) => (a.index < b.index ? -1 : 1));
}
