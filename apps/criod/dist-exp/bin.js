import { main } from './cli.js';
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`criod: ${err.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
//# sourceMappingURL=bin.js.map
