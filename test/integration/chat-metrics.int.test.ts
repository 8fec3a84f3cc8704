import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeToFirstToken } from '../../lib/stacks/monitoring-stack';
import { setUpChatApi } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// Metrics on, as deployed (the chat function's service name): Powertools writes its EMF lines to
// standard output, where this test reads them. Set before any import, as the Lambda environment
// is: the metrics object reads them once, when first loaded. No OpenAI key: the offline model.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_SERVICE_NAME = 'chat';
  process.env.STAGE = 'test';
});
const { chat, signIn, newConversation } = await setUpChatApi({
  POWERTOOLS_METRICS_DISABLED: 'false',
  POWERTOOLS_SERVICE_NAME: 'chat',
  OFFLINE_MODEL_DELAY_MS: '1',
});

interface EmfLine {
  readonly _aws: {
    readonly CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  readonly [field: string]: unknown;
}

/** The EMF lines written while `work` runs. */
async function emfDuring(work: () => Promise<void>): Promise<EmfLine[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await work();
  } finally {
    vi.restoreAllMocks();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
}

afterEach(() => vi.restoreAllMocks());

/** A member's access token and a new conversation of theirs. */
async function memberWithConversation() {
  const { token } = await signIn();
  return { token, conversationId: await newConversation(token) };
}

/** Asserts that exactly one line carries the time to the first token, as its alarm reads it. */
function expectTimeToFirstTokenAsAlarmed(emf: EmfLine[]) {
  // One line carries it, in the namespace and with the dimension set the alarm names for this
  // stage (the same set, in any order: CloudWatch matches a set)
  const TIME_TO_FIRST_TOKEN = timeToFirstToken('test');
  const timed = emf.filter((line) => TIME_TO_FIRST_TOKEN.metricName in line);
  expect(timed).toHaveLength(1);
  const [line] = timed;
  const [directive] = line?._aws.CloudWatchMetrics ?? [];
  expect(directive?.Namespace).toBe('Parley');
  expect(directive?.Dimensions.map((set) => [...set].sort())).toEqual([
    Object.keys(TIME_TO_FIRST_TOKEN.dimensionsMap).sort(),
  ]);
  expect(directive?.Metrics.map((m) => m.Name)).toContain(TIME_TO_FIRST_TOKEN.metricName);
  for (const [name, value] of Object.entries(TIME_TO_FIRST_TOKEN.dimensionsMap))
    expect(line?.[name]).toBe(value);
  expect(line?.[TIME_TO_FIRST_TOKEN.metricName]).toEqual(expect.any(Number));
}

describe('the chat function’s metrics, as CloudWatch receives them', () => {
  it('publishes the time to the first token of a streamed reply under exactly the dimensions its alarm reads', async () => {
    // Prepare
    const { token, conversationId } = await memberWithConversation();

    // Act: a streamed reply, as the web app asks for it
    const emf = await emfDuring(async () => {
      const streamed = await callStreaming(chat, {
        method: 'POST',
        path: `/api/conversations/${conversationId}/messages`,
        token,
        body: { content: 'Hello there' },
        headers: { Accept: 'text/event-stream' },
      });
      await streamed.handlerDone;
      expect(streamed.events.at(-1)?.event).toBe('done');
    });

    // Assess
    expectTimeToFirstTokenAsAlarmed(emf);
  });

  it('publishes the time to the first token of a JSON reply under the same dimensions, without the route', async () => {
    // Prepare
    const { token, conversationId } = await memberWithConversation();

    // Act: a reply as one JSON answer (no Accept: text/event-stream), as an API client asks for it
    const emf = await emfDuring(async () => {
      const answered = await callStreaming(chat, {
        method: 'POST',
        path: `/api/conversations/${conversationId}/messages`,
        token,
        body: { content: 'Hello there' },
      });
      await answered.handlerDone;
      expect(answered.status).toBe(201);
    });

    // Assess: [Stage, service], as the streamed reply's; the request's own line keeps its route
    expectTimeToFirstTokenAsAlarmed(emf);
    expect(emf.some((line) => line.route !== undefined && 'Requests' in line)).toBe(true);
  });
});
