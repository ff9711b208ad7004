// models.mjs — the two validators every Kubernetes object in deploy/kubernetes goes
// through, both generated from the Kubernetes OpenAPI schemas (and the Prometheus
// Operator's CRDs) by the kubernetes-models packages:
//   schemaErrors: the model class's validate() (Ajv over the OpenAPI schema: types,
//     required fields, enums, formats such as quantities); the schemas leave
//     additionalProperties open, so it never sees a misspelt field;
//   strictErrors: the same objects type-checked by TypeScript against the models'
//     interfaces, whose excess-property check rejects a field the API does not have,
//     as the API server's strict field validation (kubectl apply's default) does.
// The npm packages are loaded with `require` from the directory npm ci installed into.
import path from "node:path";

// apiVersion/kind -> the module holding its model. Anything else is an error: the
// manifests use these kinds and no others.
const models = {
  "v1/Namespace": "kubernetes-models/v1",
  "v1/ServiceAccount": "kubernetes-models/v1",
  "v1/Service": "kubernetes-models/v1",
  "v1/ConfigMap": "kubernetes-models/v1",
  "v1/Secret": "kubernetes-models/v1",
  "apps/v1/Deployment": "kubernetes-models/apps/v1",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1",
  "monitoring.coreos.com/v1/ServiceMonitor": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

export function modelOf(obj) {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return null;
  const module = models[`${obj.apiVersion}/${obj.kind}`];
  return module ? { module, kind: obj.kind } : null;
}

export function knownKinds() {
  return Object.keys(models).join(", ");
}

// The schema's complaints about obj, one string each; [] when it validates.
export function schemaErrors(require, obj) {
  const model = modelOf(obj);
  if (!model) return [`unknown apiVersion/kind ${obj?.apiVersion}/${obj?.kind}; known: ${knownKinds()}`];
  const Model = require(model.module)[model.kind];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return String(e.message).split(/,\s+(?=data\/)/).map((m) => m.replace(/^data/, "") || "/");
  }
}

// Type-checks every entry ({id, obj}) in one TypeScript program (loading the models'
// declarations is most of the cost). Returns Map id -> [error strings]. Each error
// names the JSON path of the offending field.
export function strictErrors(require, modulesDir, entries) {
  const ts = require("typescript");
  const virtualDir = path.join(modulesDir, ".strict-check");
  const sources = new Map();
  const idOf = new Map();
  entries.forEach((entry, i) => {
    const model = modelOf(entry.obj);
    if (!model) return;
    const file = path.join(virtualDir, `object${i}.ts`);
    sources.set(
      file,
      `import type { I${model.kind} } from "${model.module}/${model.kind}";\n` +
        `const value: I${model.kind} = ${JSON.stringify(entry.obj, null, 2)};\n` +
        `export default value;\n`,
    );
    idOf.set(file, entry.id);
  });

  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2020.d.ts"],
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const realGetSourceFile = host.getSourceFile.bind(host);
  const realFileExists = host.fileExists.bind(host);
  const realReadFile = host.readFile.bind(host);
  host.getSourceFile = (file, languageVersion, ...rest) =>
    sources.has(file)
      ? ts.createSourceFile(file, sources.get(file), languageVersion, true)
      : realGetSourceFile(file, languageVersion, ...rest);
  host.fileExists = (file) => sources.has(file) || realFileExists(file);
  host.readFile = (file) => (sources.has(file) ? sources.get(file) : realReadFile(file));

  const program = ts.createProgram([...sources.keys()], options, host);
  const result = new Map(entries.map((e) => [e.id, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    const id = d.file && idOf.get(d.file.fileName);
    if (id === undefined) {
      // An error in the models' own declarations or the program set-up: every object
      // is unchecked then, so it fails them all.
      for (const list of result.values()) list.push(`type check could not run: ${message}`);
      continue;
    }
    result.get(id).push(`${jsonPathAt(ts, d.file, d.start)}: ${message}`);
  }
  return result;
}

// The JSON path (/spec/template/...) of the field at pos in a generated source file.
function jsonPathAt(ts, sourceFile, pos) {
  const parts = [];
  let node = sourceFile.statements.find(ts.isVariableStatement)?.declarationList.declarations[0]?.initializer;
  const contains = (n) => n.getStart(sourceFile) <= pos && pos < n.end;
  while (node) {
    if (ts.isObjectLiteralExpression(node)) {
      const prop = node.properties.find(contains);
      if (!prop) break;
      parts.push(prop.name && ts.isStringLiteral(prop.name) ? prop.name.text : "?");
      node = ts.isPropertyAssignment(prop) && contains(prop.initializer) ? prop.initializer : null;
    } else if (ts.isArrayLiteralExpression(node)) {
      const index = node.elements.findIndex(contains);
      if (index < 0) break;
      parts.push(String(index));
      node = node.elements[index];
    } else {
      break;
    }
  }
  return `/${parts.join("/")}`;
}
