/** Where progress goes: stderr, so stdout carries only the verdict. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

const barWidth = 30;
/** A terminal is redrawn at most this often; a log or pipe gets a line at most this often. */
const redrawIntervalMs = 100;
const lineIntervalMs = 5_000;

function bar(done: number, total: number): string {
  const filled = total === 0 ? barWidth : Math.min(barWidth, Math.round((done / total) * barWidth));
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${done}/${total} entries (${percent}%)`;
}

/**
 * A progress reporter: a bar redrawn in place on a terminal, plain periodic lines anywhere
 * else (a CI log must not fill with carriage returns). The last call (done = total) always
 * shows; `finish` ends the bar's line.
 */
export function progressReporter(sink: ProgressSink, now: () => number = Date.now): { report(done: number, total: number): void; finish(): void } {
  let shownAt = -Infinity;
  let drawn = false;
  return {
    report(done, total) {
      const at = now();
      if (done < total && at - shownAt < (sink.isTTY ? redrawIntervalMs : lineIntervalMs)) return;
      shownAt = at;
      if (sink.isTTY) {
        sink.write(`\r${bar(done, total)}`);
        drawn = true;
      } else {
        sink.write(`verified ${done}/${total} entries\n`);
      }
    },
    finish() {
      if (drawn) sink.write('\n');
      drawn = false;
    },
  };
}
