// Reads the TAP that turbo prints for every package (each line prefixed with the task's name)
// and keeps what the end of a CI log must say: how many passed and failed, and the failures
// themselves. Turbo prints each package's log whole when its task ends, so a failure in an
// early package sits thousands of lines above the tail that a CI page shows; repeating the
// failures at the end is what makes a red run readable from its last lines.

/** At most this many lines of one failure's diagnostics are repeated. */
const linesPerFailure = 30;
/** At most this many failures are repeated; the count is still exact. */
const failuresKept = 20;

/** `@elcorp/identity:test:     not ok 3 - name` → prefix, indentation and the rest. */
const taskLine = /^(\S+:test:) ?( *)(.*)$/;

export function tapSummary() {
  let passed = 0;
  let failed = 0;
  let suites = 0;
  let failures = 0;
  /** @type {{ task: string, indent: number, lines: string[] }[]} */
  const kept = [];
  /** The failure whose diagnostics are being read, with the indentation of its `not ok`. */
  let open = null;

  function read(line) {
    // tap closes each run with a line like `# { total: 10, pass: 9, fail: 1 }`.
    const totals = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(line);
    if (totals) {
      suites += 1;
      passed += Number(totals[2]);
      failed += Number(totals[3] ?? 0);
    }
    const parts = taskLine.exec(line);
    if (!parts) return;
    const [, task, indent, text] = parts;
    if (open && open.task === task) {
      // A failure's YAML block is indented under its `not ok` and closes with `...`.
      const inside = indent.length > open.indent;
      if (inside && open.lines.length < linesPerFailure) open.lines.push(line);
      if (!inside || text === '...') open = null;
    }
    if (!/^not ok \d+/.test(text)) return;
    failures += 1;
    open = null;
    if (kept.length >= failuresKept) return;
    // A subtest fails after the assertion inside it, one level out: its own diagnostics only
    // say where it was declared, so its line alone is enough to show the path.
    const previous = kept.at(-1);
    const parent = previous !== undefined && previous.task === task && previous.indent > indent.length;
    const failure = { task, indent: indent.length, lines: [line] };
    kept.push(failure);
    if (!parent) open = failure;
  }

  function report() {
    const lines = [`test suites: ${suites}`, `${passed} passed, ${failed} failed`];
    if (failures === 0) return lines.join('\n');
    lines.push('', `failures (${failures} "not ok" lines, subtests and their parents alike${failures > kept.length ? `; the first ${kept.length} shown` : ''}):`);
    for (const failure of kept) lines.push(...failure.lines);
    return lines.join('\n');
  }

  return { read, report };
}
