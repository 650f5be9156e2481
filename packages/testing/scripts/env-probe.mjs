// Prints, as one JSON line, the variables this turbo task received whose value starts with
// the canary the caller chose. turbo-env.test.ts runs it through turbo to prove that what
// turbo.json declares really reaches a task.
const canary = process.argv[2];
if (!canary) throw new Error('usage: env-probe.mjs CANARY');
const seen = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value?.startsWith(canary)));
process.stdout.write(`env-probe ${JSON.stringify(seen)}\n`);
