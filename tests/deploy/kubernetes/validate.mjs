// validate.mjs — checks deploy/kubernetes offline, with no cluster:
//   1. every YAML file parses (YAML 1.1, as kubectl reads it: 0400 is octal) and is a
//      kustomization, a vncgate.yaml a kustomization generates a ConfigMap from, or
//      Kubernetes objects of a known kind (models.mjs);
//   2. each object validates against the Kubernetes OpenAPI schema and, strictly,
//      against its fields (models.mjs), the generated ConfigMaps too;
//   3. vncgate's own rules and the cross-references between the files (rules.mjs);
//   4. `vncgate check-config` accepts each vncgate.yaml in a directory laid out as the
//      kubelet lays out the Deployment's volumes (kubelet_layout.mjs);
//   5. the validator itself rejects broken copies of the manifests (a wrong type, a
//      misspelt field, an unknown kind, a probe, the drain, a secret's mode, root, a
//      file the kustomization forgets), so a check that silently passes everything
//      fails here.
// Usage: node validate.mjs --modules DIR --manifests DIR --vncgate BIN --work DIR
//   DIR of --modules: where `npm ci` installed package.json's pinned packages.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { modelOf, schemaErrors, strictErrors } from "./models.mjs";
import { checkModel, configOf } from "./rules.mjs";
import { checkConfigInPod } from "./kubelet_layout.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs, []));
for (const key of ["modules", "manifests", "vncgate", "work"]) {
  if (!args[key]) {
    console.error("usage: node validate.mjs --modules DIR --manifests DIR --vncgate BIN --work DIR");
    process.exit(2);
  }
}
const require = createRequire(path.join(path.resolve(args.modules), "package.json"));
const YAML = require("yaml");
const root = path.resolve(args.manifests);

let failures = 0;
const fail = (message) => {
  failures++;
  console.log(`FAIL ${message}`);
};

// ---- 1. read and sort the files ---------------------------------------------------

const model = readModel(root);
for (const f of model.unreadable) fail(f);

// ---- 2. schemas, strict fields ----------------------------------------------------

const generated = model.kustomizations.flatMap(({ file, obj }) => (obj.configMapGenerator ?? []).map((g) => ({
  file,
  obj: {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: g.name, labels: { "app.kubernetes.io/name": "vncgate" } },
    data: Object.fromEntries((g.files ?? []).map((f) => [path.basename(f),
      model.configs.get(path.normalize(path.join(path.dirname(file), f)))?.text ?? ""])),
  },
})));
const toCheck = [...model.objects, ...generated].map((o, i) => ({ ...o, id: `object${i}` }));

// The broken copies of step 5 go into the same type-check program (one program: most
// of its time is loading the models' declarations).
const negatives = brokenCopies(model).map((n, i) => ({ ...n, id: `negative${i}` }));
const strict = strictErrors(require, path.resolve(args.modules), [...toCheck, ...negatives.filter((n) => n.obj)]);

for (const o of toCheck) {
  const where = `${o.file}: ${o.obj.kind}/${o.obj.metadata?.name}`;
  const errors = [...schemaErrors(require, o.obj).map((e) => `schema: ${e}`), ...strict.get(o.id).map((e) => `field: ${e}`)];
  if (errors.length) for (const e of errors) fail(`${where}: ${e}`);
  else console.log(`ok   ${where}: schema and fields`);
}

// ---- 3. vncgate's rules ----------------------------------------------------------

const ruleErrors = checkModel(model);
for (const e of ruleErrors) fail(e);
if (!ruleErrors.length) {
  console.log(`ok   rules: ${model.objects.length} objects, ${model.kustomizations.length} kustomizations, ${model.configs.size} configurations`);
}

// ---- 4. check-config in the pod's layout -----------------------------------------

const deployment = model.objects.find((o) => o.obj.kind === "Deployment");
const secrets = new Map(model.objects.filter((o) => o.obj.kind === "Secret").map((o) => [o.obj.metadata.name, o.obj]));
if (!deployment) fail("no Deployment");
else {
  let n = 0;
  for (const [file, config] of model.configs) {
    const errors = checkConfigInPod({
      YAML, vncgate: args.vncgate, root: path.join(path.resolve(args.work), `pod${n++}`),
      deployment: deployment.obj, configText: config.text, secrets,
    });
    if (errors.length) for (const e of errors) fail(`${file}: ${e}`);
    else console.log(`ok   ${file}: vncgate check-config, in the kubelet's layout of ${deployment.file}'s volumes`);
  }
}

// ---- 5. the validator rejects broken manifests -----------------------------------

for (const n of negatives) {
  const errors = { schema: () => schemaErrors(require, n.obj), field: () => strict.get(n.id), rules: () => checkModel(n.model) }[n.stage]();
  if (!errors?.length) fail(`a broken copy passed: ${n.what} (${n.stage} check)`);
  else console.log(`ok   rejected ${n.what} (${n.stage}: ${errors[0].split("\n")[0]})`);
}

console.log(failures ? `kubernetes manifests: ${failures} failure(s)` : "kubernetes manifests: all checks passed");
process.exit(failures ? 1 : 0);

// ---- reading ----------------------------------------------------------------------

function readModel(dir) {
  const files = walk(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.relative(dir, f)).sort();
  const parsed = new Map();
  const unreadable = [];
  for (const file of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"), { version: "1.1" });
    const problems = docs.flatMap((d) => [...d.errors, ...d.warnings]);
    if (problems.length) unreadable.push(`${file}: ${problems.map((p) => p.message).join("; ")}`);
    else parsed.set(file, docs.map((d) => d.toJS()).filter((v) => v !== null && v !== undefined));
  }
  const kustomizations = [...parsed].filter(([f]) => path.basename(f) === "kustomization.yaml")
    .map(([file, docs]) => ({ file, obj: docs[0] ?? {} }));
  // A generator's input is vncgate's own file, read the way vncgate reads it.
  const configs = new Map();
  for (const { file, obj } of kustomizations) {
    for (const g of obj.configMapGenerator ?? []) {
      for (const f of g.files ?? []) {
        const input = path.normalize(path.join(path.dirname(file), f));
        if (!parsed.has(input)) continue;
        const text = fs.readFileSync(path.join(dir, input), "utf8");
        configs.set(input, { text, value: YAML.parse(text) });
      }
    }
  }
  const objects = [];
  for (const [file, docs] of parsed) {
    if (path.basename(file) === "kustomization.yaml" || configs.has(file)) continue;
    if (!docs.length) unreadable.push(`${file}: no object in it`);
    for (const obj of docs) {
      if (!modelOf(obj)) unreadable.push(`${file}: ${schemaErrors(require, obj)[0]}`);
      else objects.push({ file, obj });
    }
  }
  return { files, objects, kustomizations, configs, unreadable };
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

// ---- broken copies --------------------------------------------------------------

function brokenCopies(m) {
  const deploymentIndex = m.objects.findIndex((o) => o.obj.kind === "Deployment");
  const serviceIndex = m.objects.findIndex((o) => o.obj.kind === "Service");
  if (deploymentIndex < 0 || serviceIndex < 0) return [];
  const base = path.dirname(m.objects[deploymentIndex].file);
  const clone = (index, change) => {
    const obj = structuredClone(m.objects[index].obj);
    change(obj);
    return obj;
  };
  const withObject = (index, change) => ({
    ...m, objects: m.objects.map((o, i) => (i === index ? { ...o, obj: clone(index, change) } : o)),
  });
  const container = (d) => d.spec.template.spec.containers.find((c) => c.name === "vncgate");
  const pod = (d) => d.spec.template.spec;
  return [
    { what: "replicas as text", stage: "schema", obj: clone(deploymentIndex, (d) => { d.spec.replicas = "two"; }) },
    { what: "a Service port as text", stage: "schema", obj: clone(serviceIndex, (s) => { s.spec.ports[0].port = "5900"; }) },
    { what: "a CPU limit that is no quantity", stage: "schema", obj: clone(deploymentIndex, (d) => { container(d).resources.limits.cpu = "two cores"; }) },
    { what: "a misspelt field (readOnlyRootFileSystem)", stage: "field", obj: clone(deploymentIndex, (d) => {
      container(d).securityContext.readOnlyRootFileSystem = true;
    }) },
    { what: "a field the API does not have (spec.template.spec.runAsUser)", stage: "field", obj: clone(deploymentIndex, (d) => { pod(d).runAsUser = 0; }) },
    { what: "an unknown kind", stage: "schema", obj: clone(deploymentIndex, (d) => { d.kind = "Deploymnet"; }) },
    { what: "liveness on /metrics", stage: "rules", model: withObject(deploymentIndex, (d) => { container(d).livenessProbe.httpGet.path = "/metrics"; }) },
    { what: "readiness on /healthz", stage: "rules", model: withObject(deploymentIndex, (d) => { container(d).readinessProbe.httpGet.path = "/healthz"; }) },
    { what: "a 30 s termination grace period", stage: "rules", model: withObject(deploymentIndex, (d) => { pod(d).terminationGracePeriodSeconds = 30; }) },
    { what: "a Secret volume at mode 0644", stage: "rules", model: withObject(deploymentIndex, (d) => {
      pod(d).volumes.find((v) => v.secret).secret.defaultMode = 0o644;
    }) },
    { what: "running as root", stage: "rules", model: withObject(deploymentIndex, (d) => { pod(d).securityContext.runAsUser = 0; }) },
    { what: "a writable root filesystem", stage: "rules", model: withObject(deploymentIndex, (d) => { container(d).securityContext.readOnlyRootFilesystem = false; }) },
    { what: "fsGroup apart from runAsGroup", stage: "rules", model: withObject(deploymentIndex, (d) => { pod(d).securityContext.fsGroup = 2000; }) },
    { what: "a kustomization that forgets deployment.yaml", stage: "rules", model: {
      ...m,
      kustomizations: m.kustomizations.map((k) => (path.dirname(k.file) === base
        ? { ...k, obj: { ...k.obj, resources: k.obj.resources.filter((r) => r !== "deployment.yaml") } } : k)),
    } },
    { what: "shutdown_grace longer than the pod's grace period allows", stage: "rules", model: {
      ...m,
      configs: new Map([...m.configs].map(([f, c]) => [f, c === configOf(m, m.objects[deploymentIndex])
        ? { ...c, value: { ...c.value, shutdown_grace: "1m" } } : c])),
    } },
  ];
}
