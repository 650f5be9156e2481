import t from 'tap';
import { progressReporter } from '../../src/cli/progress.js';

t.test('a bar redrawn in place on a terminal, at most every 100 ms, always at the end', async (t) => {
  let written = '';
  let clock = 0;
  const progress = progressReporter({ isTTY: true, write: (text: string) => (written += text) }, () => clock);
  progress.report(250, 1_000);
  clock += 50;
  progress.report(500, 1_000); // too soon: not drawn
  clock += 100;
  progress.report(750, 1_000);
  progress.report(1_000, 1_000);
  progress.finish();
  t.equal(
    written,
    '\r[########......................] 250/1000 entries (25%)' +
      '\r[#######################.......] 750/1000 entries (75%)' +
      '\r[##############################] 1000/1000 entries (100%)\n',
  );
});

t.test('plain lines every few seconds in a log or pipe, never carriage returns', async (t) => {
  const lines: string[] = [];
  let clock = 0;
  const progress = progressReporter({ write: (text: string) => lines.push(text) }, () => clock);
  progress.report(1_000, 3_000);
  clock += 1_000;
  progress.report(2_000, 3_000);
  clock += 5_000;
  progress.report(2_500, 3_000);
  progress.report(3_000, 3_000);
  progress.finish();
  t.same(lines, ['verified 1000/3000 entries\n', 'verified 2500/3000 entries\n', 'verified 3000/3000 entries\n']);
});
