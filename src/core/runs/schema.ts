import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import runSchema from '../../../schema/run.schema.json';
import { ProvenantError } from '../util/errors';
import { RUN_SCHEMA, type RunRecord } from './types';

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(runSchema);
  }
  return validator;
}

/** Checks a value against the run record schema; throws an error naming the file and the first problems. */
export function validateRunRecord(value: unknown, file: string): RunRecord {
  if (typeof value === 'object' && value !== null && 'schema' in value && (value as { schema: unknown }).schema !== RUN_SCHEMA) {
    throw new ProvenantError(`unknown run record schema "${String((value as { schema: unknown }).schema)}" (this version reads ${RUN_SCHEMA})`, {
      file,
      hint: 'The run was written by another version of Provenant; update Provenant to read it.',
      code: 'E_RUN_SCHEMA_VERSION',
    });
  }
  const validate = compiled();
  if (!validate(value)) {
    const problems = (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new ProvenantError(`not a valid run record: ${problems}`, {
      file,
      hint: 'The file was edited or damaged; restore it from the run ref (git show refs/provenant/runs/<id>:.provenant/runs/<id>/run.json).',
      code: 'E_RUN_INVALID',
    });
  }
  return value as RunRecord;
}
