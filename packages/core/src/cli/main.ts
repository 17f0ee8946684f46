#!/usr/bin/env node
import { runCli } from './program.js';

// Exit explicitly: pooled sockets or timers must not keep a finished command alive.
runCli(process.argv).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 50).unref();
});
