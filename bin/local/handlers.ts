import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

import type { HandlerGroup } from '#api/index';
import type { ApiEvent } from '../../functions/shared/http/types';
import type { TriggerName } from './cognito-api';
import { lambdaContext } from './gateway';

/**
 * The Lambda handler modules, imported and called in process: the very entries the CDK app
 * bundles, so the local server runs the deployed code.
 */
export type ApiHandler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The module behind a handler group's Lambda function, as a specifier relative to this file. */
export function handlerModule(group: HandlerGroup): string {
  return `../../functions/${group}/lambda.ts`;
}

const TRIGGER_MODULES = {
  PreAuthentication: 'pre-authentication',
  PostAuthentication: 'post-authentication',
  PostConfirmation: 'post-confirmation',
  PreTokenGeneration: 'pre-token-generation',
} as const satisfies Record<TriggerName, string>;

/** The module behind a Cognito trigger's Lambda function, relative to this file. */
export function triggerModule(name: TriggerName): string {
  return `../../functions/auth/triggers/${TRIGGER_MODULES[name]}.ts`;
}

const apiHandlers = new Map<HandlerGroup, ApiHandler>();

/** A handler group's `handler`, imported on its first request (as a Lambda cold start would). */
export async function apiHandler(group: HandlerGroup): Promise<ApiHandler> {
  let handler = apiHandlers.get(group);
  if (!handler) {
    const module = (await import(handlerModule(group))) as { handler: ApiHandler };
    handler = module.handler;
    apiHandlers.set(group, handler);
  }
  return handler;
}

/** Cognito's Lambda triggers, called in process with the event Cognito would send. */
export async function invokeTrigger(name: TriggerName, event: unknown): Promise<unknown> {
  const module = (await import(triggerModule(name))) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return module.handler(event, lambdaContext(`parley-local-${TRIGGER_MODULES[name]}`, randomUUID(), 5000));
}
