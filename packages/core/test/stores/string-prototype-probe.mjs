// Child process for ioredis.test.ts: imports argv[2] (a module specifier), then prints whether
// String.prototype still has fast properties. Run with `node --allow-natives-syntax --import tsx`.
await import(process.argv[2]);
// biome-ignore lint/security/noGlobalEval: V8's natives syntax is only reachable through eval here.
console.log(eval('%HasFastProperties(String.prototype)'));
