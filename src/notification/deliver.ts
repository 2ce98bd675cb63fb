/**
 * One delivery attempt of one event to one target, and whether a failure is worth retrying: network
 * errors, timeouts, 5xx and 429 are (the receiver may be back later); any other 4xx, a 3xx (redirects are
 * not followed), a refused address or a missing secret are not (nothing changes by waiting).
 */
import { randomUUID } from 'node:crypto';
import type { NotificationSmtp, NotificationTarget } from '../config/config-model.ts';
import { TideError } from '../errors/tide-error.ts';
import { postJson, type PostOptions } from './http-post.ts';
import type { NotificationEvent } from './notification-event.ts';
import { emailText, renderMessage, slackBody, teamsBody } from './notification-message.ts';
import { signatureHeader } from './signature.ts';
import { resolveSafely } from './ssrf-guard.ts';

export interface DeliveryResult {
  readonly ok: boolean;
  readonly retryable: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface DeliverDeps {
  /** A global secret's value (GlobalSecrets.resolve). */
  readonly secret: (name: string) => Promise<string>;
  readonly smtp: () => NotificationSmtp | undefined;
  readonly publicUrl?: string;
  readonly http: PostOptions;
  readonly now: () => Date;
}

/** Bodies of error answers are kept shortened: enough to diagnose, not a receiver's whole page. */
const MAX_ERROR = 300;

export async function deliver(
  event: NotificationEvent,
  target: NotificationTarget,
  deliveryId: string,
  deps: DeliverDeps,
): Promise<DeliveryResult> {
  try {
    if (target.type === 'email') return await sendEmail(event, target.to, deps);
    const message = renderMessage(event, deps.publicUrl);
    let url: string;
    let body: string;
    const headers: Record<string, string> = { 'x-tide-event': event.type, 'x-tide-delivery': deliveryId };
    if (target.type === 'webhook') {
      url = target.url;
      body = JSON.stringify({ ...event, message });
      if (target.secret)
        headers['x-tide-signature'] = signatureHeader(await deps.secret(target.secret), body, deps.now());
    } else {
      url = await deps.secret(target.urlSecret);
      body = JSON.stringify(target.type === 'slack' ? slackBody(message) : teamsBody(message));
    }
    const answer = await postJson(url, body, headers, deps.http);
    if (answer.status >= 200 && answer.status < 300)
      return { ok: true, retryable: false, statusCode: answer.status, error: null };
    return {
      ok: false,
      retryable: answer.status >= 500 || answer.status === 429,
      statusCode: answer.status,
      error: `HTTP ${answer.status}${answer.body ? `: ${answer.body.slice(0, MAX_ERROR)}` : ''}`,
    };
  } catch (error) {
    return failure(error);
  }
}

function failure(error: unknown): DeliveryResult {
  if (error instanceof TideError)
    // Refused addresses and unset secrets: an operator must act; `unreachable` (DNS) may pass.
    return { ok: false, retryable: error.code === 'unreachable', statusCode: null, error: error.message };
  const smtpCode = (error as { responseCode?: number }).responseCode;
  const message = ((error as Error).message ?? String(error)).slice(0, MAX_ERROR);
  if (typeof smtpCode === 'number')
    return { ok: false, retryable: smtpCode < 500, statusCode: smtpCode, error: message };
  return { ok: false, retryable: true, statusCode: null, error: message };
}

async function sendEmail(
  event: NotificationEvent,
  to: readonly string[],
  deps: DeliverDeps,
): Promise<DeliveryResult> {
  const smtp = deps.smtp();
  if (!smtp)
    return { ok: false, retryable: false, statusCode: null, error: 'no SMTP server in notifications.yaml' };
  const { address } = await resolveSafely(smtp.host, deps.http);
  const password = smtp.passwordSecret ? await deps.secret(smtp.passwordSecret) : undefined;
  // Loaded with the first email: most servers never send one, and it costs start-up time and memory.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    // The checked address, so the name cannot resolve elsewhere at connect time; TLS checks the name.
    host: address,
    port: smtp.port,
    secure: smtp.secure,
    tls: { servername: smtp.host },
    connectionTimeout: deps.http.connectTimeoutMs,
    greetingTimeout: deps.http.connectTimeoutMs,
    socketTimeout: deps.http.totalTimeoutMs,
    ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: password ?? '' } }),
  });
  try {
    const message = renderMessage(event, deps.publicUrl);
    const info = await transport.sendMail({
      from: smtp.from,
      to: [...to],
      subject: `[Tide] ${message.title}`,
      text: emailText(message),
      messageId: `<${randomUUID()}@tide>`,
      headers: { 'X-Tide-Event': event.type },
    });
    const code = Number(/^(\d{3})/.exec(info.response)?.[1] ?? 250);
    return { ok: true, retryable: false, statusCode: code, error: null };
  } finally {
    transport.close();
  }
}
