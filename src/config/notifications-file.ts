/**
 * Loading the global notifications file, `<config>/notifications.yaml` (or `.yml`, `.json`): validated
 * strictly, every problem named with file, field and reason, the way environment files are.
 */
import type { NotificationSettings, NotificationTarget } from './config-model.ts';
import { notificationsFileSchema, type NotificationsFile } from './notifications.schema.ts';
import { parseConfigText } from './parse-config-file.ts';
import { issuesToProblems } from './zod-problems.ts';

export const notificationsFilePattern = /^notifications\.(json|ya?ml)$/;

export type NotificationsFileResult =
  { ok: true; value: NotificationSettings } | { ok: false; problems: { path: string; message: string }[] };

export function parseNotificationsFile(file: string, text: string): NotificationsFileResult {
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return { ok: false, problems: [{ path: '', message: parsed.message }] };
  const result = notificationsFileSchema.safeParse(parsed.value ?? {});
  if (!result.success) return { ok: false, problems: issuesToProblems(result.error.issues) };
  const data = result.data;
  const targets = data.targets ?? {};
  const problems: { path: string; message: string }[] = [];
  (data.rules ?? []).forEach((rule, index) =>
    rule.targets.forEach((name, at) => {
      if (!(name in targets))
        problems.push({ path: `rules[${index}].targets[${at}]`, message: `unknown target "${name}"` });
    }),
  );
  const usesEmail = Object.values(targets).some((target) => target.type === 'email');
  if (usesEmail && !data.smtp)
    problems.push({ path: 'smtp', message: 'required: an "email" target needs the SMTP server' });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: normalize(file, data) };
}

function normalize(file: string, data: NotificationsFile): NotificationSettings {
  const targets = new Map<string, NotificationTarget>();
  for (const [name, target] of Object.entries(data.targets ?? {})) {
    if (target.type === 'webhook')
      targets.set(name, {
        type: 'webhook',
        url: target.url,
        ...(target.secret && { secret: target.secret }),
      });
    else if (target.type === 'email') targets.set(name, { type: 'email', to: [...target.to] });
    else targets.set(name, { type: target.type, urlSecret: target.url_secret });
  }
  const smtp = data.smtp;
  return Object.freeze({
    file,
    ...(smtp && {
      smtp: Object.freeze({
        host: smtp.host,
        port: smtp.port ?? (smtp.secure ? 465 : 587),
        secure: smtp.secure ?? false,
        ...(smtp.user !== undefined && { user: smtp.user }),
        ...(smtp.password_secret !== undefined && { passwordSecret: smtp.password_secret }),
        from: smtp.from,
      }),
    }),
    targets,
    rules: (data.rules ?? []).map((rule) =>
      Object.freeze({
        on: rule.on,
        targets: rule.targets,
        workspaces: rule.workspaces ?? [],
        actions: rule.actions ?? [],
      }),
    ),
  });
}
