/**
 * The value of one sample in a Prometheus text exposition (a `/metrics` body), or undefined
 * when none matches. `sample` is the metric's name, optionally followed by the start of its
 * labels as they are written: `name`, or `name{reason="total"`.
 */
export function metricValue(exposition: string, sample: string): number | undefined {
  const start = sample.includes('{') ? sample : `${sample}{`;
  const line = exposition.split('\n').find((l) => l.startsWith(start) || l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
