import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../functions/api/openapi';
import { readEventStream } from './sse-events';

/*
 * A validating proxy in front of the tests, in process: every answer the tests get from a handler
 * (test/support/api.ts `call`, test/support/streaming.ts `callStreaming`) is checked against the
 * OpenAPI document. The status must be one its operation declares; the media type one the
 * status declares; a JSON body must match the declared schema; a stream of server-sent events
 * must end between events, each of them declared, with data that matches its schema; and every
 * header the document says is required must be there with its declared value. A test whose
 * answer falls outside fails with the reasons, whatever it asserted itself.
 */

interface Header {
  required?: boolean;
  schema: Record<string, unknown>;
}
interface Response {
  description: string;
  headers?: Record<string, Header | { $ref: string }>;
  content?: Record<string, { schema: Record<string, unknown> }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, Response | { $ref: string }>;
}

const document = buildOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    responses: Record<string, Response>;
    headers: Record<string, Header>;
  };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const compiled = new Map<object, ValidateFunction>();

/** A component the document refers to (`#/components/<kind>/<name>`), or the object itself. */
function resolve<T>(value: T | { $ref: string }): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value;
  const [, , kind, name] = value.$ref.split('/');
  const found = (document.components as unknown as Record<string, Record<string, T>>)[kind ?? '']?.[
    name ?? ''
  ];
  if (!found) throw new Error(`the document refers to ${value.$ref}, which it does not define`);
  return found;
}

/** Ajv's errors as one line, naming the property an `additionalProperties: false` refused. */
function errorsOf(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      return `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${extra ? ` (${extra})` : ''}`;
    })
    .join('; ');
}

function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  const target = resolve(schema as Record<string, unknown> | { $ref: string });
  let validate = compiled.get(target);
  if (!validate) {
    validate = ajv.compile(target);
    compiled.set(target, validate);
  }
  return validate;
}

export interface Answer {
  readonly method: string;
  /** The route's path template, as API Gateway's `resource`. */
  readonly resource: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  /** The body as text (a stream's whole text). */
  readonly text: string;
  /** The client hung up before the end: the body is not checked. */
  readonly cut?: boolean;
}

interface EventBranch {
  properties: { event: { const: string }; data: { contentSchema: Record<string, unknown> } };
}

/** What in a stream of server-sent events the declared stream (openapi.ts `eventStream`) does not allow. */
function eventStreamProblems(where: string, schema: Record<string, unknown>, text: string): string[] {
  const branches = (schema.items as { oneOf?: EventBranch[] } | undefined)?.oneOf;
  if (schema.type !== 'array' || !branches)
    return [`${where}: the document declares no events for this stream`];
  const { events, rest } = readEventStream(text);
  const problems: string[] = [];
  if (rest.trim() !== '') problems.push(`${where}: the stream ends inside an event: ${rest.slice(0, 200)}`);
  const declared = branches.map((b) => b.properties.event.const);
  const validate = validatorOf(schema);
  if (events.every(({ event }) => declared.includes(event)) && !validate(events)) {
    problems.push(`${where}: the events: ${errorsOf(validate)}`);
  }
  events.forEach(({ event, data }, index) => {
    const branch = branches.find((b) => b.properties.event.const === event);
    if (!branch) {
      problems.push(`${where}: event ${index} (${event}) is not one it sends (${declared.join(', ')})`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      problems.push(`${where}: event ${index} (${event}): its data is not JSON: ${data.slice(0, 200)}`);
      return;
    }
    const check = validatorOf(branch.properties.data.contentSchema);
    if (!check(value)) {
      problems.push(
        `${where}: event ${index} (${event}): its data: ${errorsOf(check)}: ${data.slice(0, 300)}`,
      );
    }
  });
  return problems;
}

/** What in the answer the document does not allow; empty when it conforms. */
export function conformanceProblems(answer: Answer): string[] {
  const operation = document.paths[answer.resource]?.[answer.method.toLowerCase()];
  if (!operation) return [`${answer.method} ${answer.resource} is not in the document`];
  const declared = operation.responses[String(answer.status)] ?? operation.responses.default;
  if (!declared) {
    return [`${operation.operationId} does not declare ${answer.status}: ${answer.text.slice(0, 300)}`];
  }
  const response = resolve(declared);
  const where = `${operation.operationId} ${answer.status}`;
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(response.headers ?? {})) {
    const header = resolve(entry);
    const value = answer.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) problems.push(`${where}: the required header ${name} is missing`);
      continue;
    }
    const validate = validatorOf(header.schema);
    if (!validate(value)) problems.push(`${where}: header ${name} "${value}": ${errorsOf(validate)}`);
  }
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (answer.cut) return problems;
  if (!response.content) {
    if (answer.text.length > 0) problems.push(`${where}: declares no body, got ${answer.text.slice(0, 200)}`);
    return problems;
  }
  const content = response.content[mediaType];
  if (!content) {
    problems.push(
      `${where}: Content-Type "${mediaType}" is not one of ${Object.keys(response.content).join(', ')}`,
    );
    return problems;
  }
  if (mediaType === 'text/event-stream')
    problems.push(...eventStreamProblems(where, content.schema, answer.text));
  if (mediaType.endsWith('json')) {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      problems.push(`${where}: the body is not JSON: ${answer.text.slice(0, 200)}`);
      return problems;
    }
    const validate = validatorOf(content.schema);
    if (!validate(body)) {
      problems.push(`${where}: the body: ${errorsOf(validate)}: ${answer.text.slice(0, 300)}`);
    }
  }
  return problems;
}

/** Throws when the answer falls outside the document, naming each reason. */
export function expectConformance(answer: Answer): void {
  const problems = conformanceProblems(answer);
  if (problems.length > 0) {
    throw new Error(`The answer is outside the OpenAPI document:\n- ${problems.join('\n- ')}`);
  }
}
