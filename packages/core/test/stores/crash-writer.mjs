// Child process for the kill -9 test: writes outcomes through SqliteStatsStore and prints each
// id once its promise resolved (acknowledged). argv[3] is the store module to import: the test
// passes the TypeScript source and runs this file with `node --import tsx`.
const [, , dbPath, storeModule] = process.argv;
const { SqliteStatsStore } = await import(storeModule);
const store = new SqliteStatsStore(dbPath);
let i = 0;
for (;;) {
  const batch = [];
  for (let k = 0; k < 20; k++) {
    const id = `r-${i++}`;
    const write = store.appendOutcome({
      routeId: id,
      kind: 'outcome',
      at: Date.now(),
      team: 't',
      role: 'r',
      taskType: 'chat',
      nodeId: 'a',
      modelId: 'm',
      success: true,
      reward: 1,
    });
    batch.push(write.then(() => process.stdout.write(`${id}\n`)));
  }
  await Promise.all(batch);
}
