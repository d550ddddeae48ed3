// Reads a JSON array of FHIR R4 resources on stdin; prints, per resource, the validator's messages
// of severity error (the npm package `fhir`, which knows R4's structure and value sets).
const { Fhir } = require("fhir");
const fhir = new Fhir();
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const resources = JSON.parse(input);
  const out = resources.map((resource) => {
    const result = fhir.validate(resource, { errorOnUnexpected: true });
    return result.messages.filter((m) => m.severity === "error");
  });
  process.stdout.write(JSON.stringify(out));
});
