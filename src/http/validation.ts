import Ajv, { type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// Bodies are validated strictly: no type coercion and no silent removal of unknown properties,
// so a body with an unexpected field is refused (no mass assignment) rather than trimmed.
const strict = new Ajv.default({ strict: false, coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false });
// URL parts are strings on the wire; coerce them to the declared types.
const lenient = new Ajv.default({ strict: false, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false });

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? strict : lenient).compile(schema as object);
  return (data: unknown) => (validate(data) ? { value: data } : { error: Object.assign(new Error(describe(validate, httpPart)), { validation: validate.errors }) });
};

function describe(validate: ValidateFunction, part: string | undefined): string {
  const e = validate.errors?.[0];
  if (!e) return `invalid ${part ?? 'request'}`;
  const where = `${part ?? 'request'}${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'additionalProperties') return `${where} has an unknown field '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'required') return `${where} is missing '${String(e.params.missingProperty)}'`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
