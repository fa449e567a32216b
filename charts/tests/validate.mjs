// Validates Kubernetes objects (a multi-document YAML stream, e.g. `helm template --include-crds`) the way an API
// server would, without one:
//   1. Built-in kinds against the Kubernetes OpenAPI schemas compiled into `kubernetes-models` (types, required
//      fields, enums, formats); ServiceMonitor against `@kubernetes-models/prometheus-operator`.
//   2. Unknown fields, as `kubectl apply --validate=strict` (the default) reports them: the same packages' type
//      declarations list every field of every object type, so a misspelt key is an error, not silently dropped.
//   3. Custom resources (e.g. ThreadPoolAutoscaler) against the openAPIV3Schema of their CRD, found in the stream
//      or given with --crd FILE, with ajv (draft-07). CEL rules (x-kubernetes-validations) are not evaluated.
// A kind with no schema is an error, so nothing passes unchecked.
//
// Usage: node validate.mjs [--crd FILE]... [FILE]...     (no FILE: read stdin)
// Prints one line per object ("ok" or "FAIL" with the reasons) and a summary; exits 1 if any object failed.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve as resolvePath } from 'node:path';
import { parseAllDocuments } from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const packagesByGroup = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function parseArguments(argv) {
  const crdFiles = [];
  const inputs = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--crd') {
      crdFiles.push(argv[++i]);
    } else {
      inputs.push(argv[i]);
    }
  }
  return { crdFiles, inputs };
}

function readDocuments(text, source) {
  const documents = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      throw new Error(`${source}: YAML error: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value = document.toJS();
    if (value !== null && value !== undefined) {
      documents.push(value);
    }
  }
  return documents;
}

function describe(object) {
  const name = object?.metadata?.name ?? '<no name>';
  return `${object?.apiVersion ?? '<no apiVersion>'} ${object?.kind ?? '<no kind>'}/${name}`;
}

// ---- 1. kubernetes-models -------------------------------------------------------------------------------------

function modelSpecifier(apiVersion, kind) {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const root = packagesByGroup[group] ?? 'kubernetes-models';
  return `${root}/${apiVersion}/${kind}`;
}

async function loadModel(apiVersion, kind) {
  const specifier = modelSpecifier(apiVersion, kind);
  try {
    const module = await import(specifier);
    return { model: module[kind], specifier };
  } catch {
    return { model: undefined, specifier };
  }
}

// ---- 2. unknown fields, from the models' type declarations ----------------------------------------------------

const declarations = new Map();

/** The interfaces of one .d.ts file: name -> Map(field -> type text), its imports, and its exported aliases. */
function readDeclaration(file) {
  if (declarations.has(file)) {
    return declarations.get(file);
  }
  const text = readFileSync(file, 'utf8');
  const imports = new Map();
  for (const match of text.matchAll(/^import \{ ([^}]+) \} from "([^"]+)";$/gm)) {
    for (const name of match[1].split(',').map((n) => n.trim())) {
      imports.set(name, match[2]);
    }
  }
  const aliases = new Map();
  for (const match of text.matchAll(/^export type \{ ([^}]+) \};$/gm)) {
    for (const part of match[1].split(',')) {
      const [local, exported] = part.split(' as ').map((s) => s.trim());
      aliases.set(exported ?? local, local);
    }
  }
  const interfaces = new Map();
  for (const match of text.matchAll(/^export interface (\w+)(?: extends [^{]+)? \{\n([\s\S]*?)^\}/gm)) {
    const fields = new Map();
    for (const line of match[2].split('\n')) {
      const field = /^ {4}"([^"]+)"\??: (.*?);?$/.exec(line);
      if (field) {
        fields.set(field[1], field[2]);
      }
    }
    interfaces.set(match[1], fields);
  }
  const declaration = { file, imports, aliases, interfaces };
  declarations.set(file, declaration);
  return declaration;
}

function resolveFrom(declaration, specifier) {
  if (specifier.startsWith('.')) {
    return resolvePath(dirname(declaration.file), specifier.replace(/\.js$/, '.d.ts'));
  }
  return fileURLToPath(import.meta.resolve(specifier)).replace(/\.js$/, '.d.ts');
}

/** The field map of a type named in a declaration (an imported interface), or undefined for leaves. */
function fieldsOf(declaration, typeName) {
  const local = declaration.aliases.get(typeName) ?? typeName;
  if (declaration.interfaces.has(local)) {
    return { declaration, fields: declaration.interfaces.get(local) };
  }
  const specifier = declaration.imports.get(typeName);
  if (!specifier || specifier === '@kubernetes-models/base') {
    return undefined;
  }
  let imported;
  try {
    imported = readDeclaration(resolveFrom(declaration, specifier));
  } catch {
    return undefined;
  }
  const target = imported.aliases.get(typeName) ?? typeName;
  return imported.interfaces.has(target) ? { declaration: imported, fields: imported.interfaces.get(target) } : undefined;
}

function checkFields(value, type, path, errors) {
  if (value === null || value === undefined || type === undefined) {
    return;
  }
  const array = /^Array<(\w+)>$/.exec(type.typeText ?? '');
  if (array) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => checkFields(item, { declaration: type.declaration, typeText: array[1] }, `${path}[${i}]`, errors));
    }
    return;
  }
  const shape = type.fields ? type : fieldsOf(type.declaration, type.typeText);
  if (!shape || typeof value !== 'object' || Array.isArray(value)) {
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (!shape.fields.has(key)) {
      errors.push(`${path}.${key}: unknown field`);
      continue;
    }
    checkFields(child, { declaration: shape.declaration, typeText: shape.fields.get(key) }, `${path}.${key}`, errors);
  }
}

function unknownFieldErrors(specifier, kind, object) {
  const file = fileURLToPath(import.meta.resolve(specifier)).replace(/\.js$/, '.d.ts');
  const declaration = readDeclaration(file);
  const fields = declaration.interfaces.get(`I${kind}`);
  if (!fields) {
    return [`no type declaration I${kind} in ${file}`];
  }
  const errors = [];
  checkFields(object, { declaration, fields }, '', errors);
  return errors.map((e) => e.replace(/^\./, ''));
}

// ---- 3. custom resources against their CRD ----------------------------------------------------------------------

/** An OpenAPI v3 structural schema as draft-07 JSON Schema: unknown fields rejected, Kubernetes extensions dropped. */
function toJsonSchema(node, isRoot = true) {
  if (Array.isArray(node)) {
    return node.map((n) => toJsonSchema(n, false));
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable') {
      continue;
    }
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v, false)]));
    } else {
      out[key] = toJsonSchema(value, false);
    }
  }
  // OpenAPI 3.0: exclusiveMinimum/Maximum are booleans qualifying minimum/maximum.
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']]) {
    if (out[exclusive] === true) {
      out[exclusive] = out[bound];
      delete out[bound];
    } else if (out[exclusive] === false) {
      delete out[exclusive];
    }
  }
  if (node.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
  }
  // Structural schemas prune unknown fields; strict field validation reports them. metadata stays open.
  if (out.properties && out.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  if (isRoot && out.properties?.metadata) {
    out.properties.metadata = { type: 'object' };
  }
  return out;
}

function crdValidators(crds) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
  const validators = new Map();
  for (const crd of crds) {
    for (const version of crd.spec?.versions ?? []) {
      const schema = version.schema?.openAPIV3Schema;
      if (schema) {
        validators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(toJsonSchema(schema)));
      }
    }
  }
  return validators;
}

// ---- main ----------------------------------------------------------------------------------------------------------

async function main() {
  const { crdFiles, inputs } = parseArguments(process.argv.slice(2));
  const objects = [];
  if (inputs.length === 0) {
    objects.push(...readDocuments(readFileSync(0, 'utf8'), 'stdin'));
  }
  for (const file of inputs) {
    objects.push(...readDocuments(readFileSync(file, 'utf8'), file));
  }
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  for (const file of crdFiles) {
    crds.push(...readDocuments(readFileSync(file, 'utf8'), file).filter((o) => o.kind === 'CustomResourceDefinition'));
  }
  const custom = crdValidators(crds);

  let failed = 0;
  for (const object of objects) {
    const errors = [];
    let how;
    if (typeof object !== 'object' || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      errors.push('not a Kubernetes object (apiVersion and kind are required)');
    } else if (custom.has(`${object.apiVersion} ${object.kind}`)) {
      how = 'CRD schema';
      const validate = custom.get(`${object.apiVersion} ${object.kind}`);
      if (!validate(object)) {
        errors.push(...validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? `: ${e.params.additionalProperty}` : ''}`));
      }
    } else {
      const { model, specifier } = await loadModel(object.apiVersion, object.kind);
      how = specifier;
      if (!model) {
        errors.push(`no schema for ${object.apiVersion} ${object.kind} (not in kubernetes-models, and no CRD given)`);
      } else {
        try {
          new model(object).validate();
        } catch (error) {
          errors.push(String(error.message ?? error));
        }
        errors.push(...unknownFieldErrors(specifier, object.kind, object));
      }
    }
    if (errors.length > 0) {
      failed++;
      console.log(`FAIL ${describe(object)}: ${errors.join('; ')}`);
    } else {
      console.log(`ok   ${describe(object)} (${how})`);
    }
  }
  console.log(`${objects.length} objects validated, ${failed} failed`);
  process.exitCode = failed > 0 || objects.length === 0 ? 1 : 0;
}

await main();
