import { describe, expect, it } from 'vitest';
import { isAcceptableIssuer, oidcSettings } from './oidc-settings.ts';

const roleMap = [{ value: '*', role: 'viewer' }] as const;
const complete = {
  issuer: 'https://idp.example.com/realms/ops',
  clientId: 'tide',
  clientSecret: 's3cr3t-value-0123',
  roleMap,
};

describe('single sign-on settings', () => {
  it('are off when none of issuer, client id and secret is set', () => {
    expect(oidcSettings({ roleMap })).toBeNull();
  });

  it('refuse a half configuration, naming what is missing', () => {
    expect(() => oidcSettings({ issuer: complete.issuer, clientId: 'tide' })).toThrow(
      /half configured: set TIDE_OIDC_CLIENT_SECRET, TIDE_OIDC_ROLE_MAP/,
    );
    expect(() => oidcSettings({ ...complete, roleMap: undefined })).toThrow(/set TIDE_OIDC_ROLE_MAP/);
  });

  it('default the scopes and claims, always ask for openid, and put the callback under TIDE_PUBLIC_URL', () => {
    const settings = oidcSettings({
      ...complete,
      scopes: ['email'],
      publicUrl: 'https://tide.example.com/',
    })!;
    expect(settings).toMatchObject({
      scopes: ['email', 'openid'],
      roleClaim: 'groups',
      usernameClaim: 'preferred_username',
      redirectUri: 'https://tide.example.com/api/v1/auth/oidc/callback',
    });
    expect(oidcSettings(complete)!.redirectUri).toBeNull();
    expect(oidcSettings(complete)!.scopes).toEqual(['openid', 'profile', 'email']);
  });

  it('accept an https issuer, or http only on this machine', () => {
    expect(isAcceptableIssuer('https://login.microsoftonline.com/tenant/v2.0')).toBe(true);
    expect(isAcceptableIssuer('http://127.0.0.1:5556/dex')).toBe(true);
    expect(isAcceptableIssuer('http://localhost:8080/realms/tide')).toBe(true);
    expect(isAcceptableIssuer('http://idp.example.com')).toBe(false);
    expect(isAcceptableIssuer('https://idp.example.com?x=1')).toBe(false);
    expect(isAcceptableIssuer('not a url')).toBe(false);
  });
});
