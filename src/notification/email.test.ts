import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { GlobalSecrets } from '../secrets/global-secrets.ts';
import { ManualClock } from '../time/clock.ts';
import { deliver } from './deliver.ts';
import type { NotificationEvent } from './notification-event.ts';

interface Mail {
  readonly user: string | undefined;
  readonly from: string | undefined;
  readonly to: string[];
  readonly data: string;
}

const event: NotificationEvent = {
  type: 'run_succeeded',
  id: 'run-9:succeeded',
  occurred_at: '2026-03-02T10:00:00.000Z',
  workspace: 'web',
  run_id: 'run-9',
  action: 'destroy',
  state: 'succeeded',
  trigger: 'ttl',
};

forEachDialect('notification email over SMTP (smtp-server as a real peer)', (harness) => {
  let server: SMTPServer;
  let port: number;
  const mails: Mail[] = [];
  let secrets: GlobalSecrets;
  const clock = new ManualClock('2026-03-02T10:00:00Z');

  beforeEach(async () => {
    mails.length = 0;
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'tide' && auth.password === 'smtp-pass')
          callback(null, { user: auth.username });
        else callback(new Error('invalid credentials'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            user: session.user as string | undefined,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
    secrets = new GlobalSecrets({ db: harness.db, keyring: makeKeyring(randomBytes(32)), clock });
    await secrets.set('smtp-password', 'smtp-pass');
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const deps = (password = 'smtp-password') => ({
    secret: (name: string) => secrets.resolve(name),
    smtp: () => ({
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'tide',
      passwordSecret: password,
      from: 'tide@example.com',
    }),
    http: { allowPrivate: true, connectTimeoutMs: 5_000, totalTimeoutMs: 10_000 },
    now: () => clock.now(),
  });

  it('sends the notification as mail, authenticated with the password from the secret store', async () => {
    const result = await deliver(event, { type: 'email', to: ['ops@example.com'] }, 'd-1', deps());

    expect(result).toMatchObject({ ok: true, statusCode: 250 });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ user: 'tide', from: 'tide@example.com', to: ['ops@example.com'] });
    expect(mails[0]!.data).toContain('Subject: [Tide] destroy of web succeeded');
    expect(mails[0]!.data).toContain('trigger: ttl');
    expect(mails[0]!.data).not.toContain('smtp-pass');
  });

  it('fails without retry when the server refuses the credentials', async () => {
    await secrets.set('wrong', 'not-the-password');
    const result = await deliver(event, { type: 'email', to: ['ops@example.com'] }, 'd-2', deps('wrong'));
    expect(result).toMatchObject({ ok: false, retryable: false, statusCode: 535 });
    expect(mails).toHaveLength(0);
  });
});
