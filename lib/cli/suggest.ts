/**
 * "Did you mean" suggestions: names within a small optimal-string-alignment distance of
 * what was typed, closest first.
 */

/** Edit distance counting insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) (rows[0] as number[])[j] = j;

  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] ?? 0) + 1);
      }
      row[j] = best;
    }
  }

  return (rows[a.length] as number[])[b.length] ?? 0;
}

/** Returns the names close to `typed`, or that start with its first word, closest first. */
export function closestNames(typed: string, names: readonly string[]): string[] {
  const firstWord = typed.split(' ')[0] ?? '';
  const scored = names.map((name) => ({ name, distance: editDistance(typed, name) }));
  const limit = Math.max(2, Math.floor(typed.length / 3));

  return scored
    .filter(({ name, distance }) => distance <= limit || (firstWord.length >= 2 && name.startsWith(firstWord)))
    .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1))
    .map(({ name }) => name);
}
