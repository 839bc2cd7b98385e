// Checks the manifests of deploy/ offline against the Kubernetes API schema (the OpenAPI
// definitions the npm package kubernetes-models is generated from; no cluster needed):
//   npm install --prefix DIR kubernetes-models js-yaml
//   NODE_MODULES=DIR/node_modules node deploy/check.mjs deploy/*.yaml
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const mods = process.env.NODE_MODULES || "node_modules";
const yaml = createRequire(path.resolve(mods, "x.js"))("js-yaml");
const load = (group) => import(pathToFileURL(path.resolve(mods, "kubernetes-models", group,
                                                         "index.js")).href);
const groups = { "batch/v1": "batch/v1", "apps/v1": "apps/v1", "v1": "v1" };
let bad = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    const what = `${file}: ${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}`;
    try {
      if (!groups[doc.apiVersion]) throw new Error("no schema for this apiVersion here");
      const model = (await load(groups[doc.apiVersion]))[doc.kind];
      if (!model) throw new Error("no schema for this kind here");
      new model(doc).validate();
      console.log(`${what}: valid`);
    } catch (e) {
      bad++;
      console.error(`${what}: ${e.message}`);
    }
  }
}
process.exit(bad ? 1 : 0);
