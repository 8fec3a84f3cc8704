/** A custom domain for the web front door, with its certificate (us-east-1) and hosted zone. */
export const CUSTOM_DOMAIN = {
  domainName: 'chat.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e',
  hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
};
