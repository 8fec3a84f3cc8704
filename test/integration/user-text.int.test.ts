import { setUpApiEnvironment } from '../support/api';
import { testDatabase } from '../support/database';
import { describeUserText } from '../support/user-text-suite';

// No OpenAI key: the offline model answers, so accepted sends are quick.
const issuer = setUpApiEnvironment({
  OFFLINE_MODEL_DELAY_MS: '0',
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
  MAX_BODY_BYTES: '65536',
});
const chat = (await import('#chat/lambda')).handler;
const conversations = (await import('#conversations/lambda')).handler;

describeUserText({ issuer, chat, conversations, db: testDatabase() });
