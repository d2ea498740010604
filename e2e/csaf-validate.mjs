// BSI's CSAF validator (npm @secvisogram/csaf-validator-lib) over CSAF 2.0
// documents: the strict schema test and every mandatory test (section 6.1).
// Started by `cargo test -p vigia-csaf` (crates/csaf/tests/it/bsi.rs).
//
//   node e2e/csaf-validate.mjs doc1.json doc2.json …
//   node e2e/csaf-validate.mjs < doc.json          (a document or an array of them)
//
// Prints each failed test with its messages and exits 1 if any document
// fails; exits 2 if a document cannot be read. Optional tests (6.2) are run
// too and their findings printed as notes, without failing.

import { readFileSync } from "node:fs";
import validateStrict from "@secvisogram/csaf-validator-lib/validateStrict.js";
import * as mandatory from "@secvisogram/csaf-validator-lib/mandatoryTests.js";
import * as optional from "@secvisogram/csaf-validator-lib/optionalTests.js";
import { csaf_2_0_strict } from "@secvisogram/csaf-validator-lib/schemaTests.js";

function readDocuments() {
  const paths = process.argv.slice(2);
  if (paths.length > 0) {
    return paths.map((path) => ({ name: path, doc: JSON.parse(readFileSync(path, "utf8")) }));
  }
  const input = JSON.parse(readFileSync(0, "utf8"));
  const docs = Array.isArray(input) ? input : [input];
  return docs.map((doc, i) => ({ name: `stdin[${i}]`, doc }));
}

function findings(result) {
  return result.tests.flatMap((t) =>
    t.isValid && t.errors.length === 0
      ? []
      : [
          `${t.name}: ` +
            (t.errors.length > 0
              ? t.errors.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")
              : "failed without a message"),
        ],
  );
}

let documents;
try {
  documents = readDocuments();
} catch (e) {
  console.error(`csaf-validate: cannot read the documents: ${e.message}`);
  process.exit(2);
}

const required = [csaf_2_0_strict, ...Object.values(mandatory)];
let failed = 0;
for (const { name, doc } of documents) {
  const result = await validateStrict(required, doc);
  const problems = findings(result);
  if (!result.isValid || problems.length > 0) {
    failed += 1;
    console.log(`FAIL ${name}`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`ok   ${name} (${required.length} tests)`);
  }
  const notes = findings(await validateStrict(Object.values(optional), doc));
  for (const n of notes) console.log(`  note (optional test) ${n}`);
}
console.log(`${documents.length - failed} of ${documents.length} documents pass the schema and mandatory tests`);
process.exit(failed > 0 ? 1 : 0);
