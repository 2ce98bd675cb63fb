import { describe, expect, it } from 'vitest';
import { outputsFromState, targetsFromOutputs } from './environment-targets.ts';

const environment = {
  outputs: { addresses: 'load_balancers', addressMap: 'load_balancer_ips' },
  reservedIps: ['203.0.113.1'],
};

describe('targets from outputs', () => {
  it('reads a string, a list of strings or numbers, and maps ids to IPs (an IP is its own address)', () => {
    expect(targetsFromOutputs(environment, 'w', { load_balancers: '10.0.0.1' })).toEqual({
      ok: true,
      targets: [{ resource: '10.0.0.1', server: '10.0.0.1' }],
    });
    expect(
      targetsFromOutputs(environment, 'w', {
        load_balancers: [4163218, 'lb-2', 'fd00::1'],
        load_balancer_ips: { '4163218': '10.0.0.5', 'fd00::1': '10.9.9.9' },
      }),
    ).toEqual({
      ok: true,
      targets: [
        { resource: '4163218', server: '10.0.0.5' },
        { resource: 'lb-2', server: 'lb-2' },
        { resource: 'fd00::1', server: 'fd00::1' },
      ],
    });
    // A map output that is not a map is not used.
    expect(
      targetsFromOutputs(environment, 'w', { load_balancers: ['lb-1'], load_balancer_ips: ['x'] }),
    ).toEqual({
      ok: true,
      targets: [{ resource: 'lb-1', server: 'lb-1' }],
    });
  });

  it('names what is wrong with the output', () => {
    const message = (outputs: Record<string, unknown>) => {
      const result = targetsFromOutputs(environment, 'w', outputs);
      return result.ok ? null : result.message;
    };
    expect(message({ load_balancers: [] })).toBe(
      'workspace "w" output "load_balancers" must be a string or a non-empty list of strings, got []',
    );
    expect(message({ load_balancers: { value: ['x'] } })).toBe(
      'workspace "w" output "load_balancers" must be a string or a non-empty list of strings, got {"value":["x"]}',
    );
    expect(message({ load_balancers: ['a', ' '] })).toBe(
      'workspace "w" output "load_balancers" has an empty entry',
    );
    expect(message({ load_balancers: '(sensitive)' })).toMatch(/is sensitive: Tide does not keep its value/);
  });
});

describe('outputs from a state document', () => {
  it("reads each output's value and hides sensitive ones", () => {
    const state = {
      version: 4,
      outputs: {
        load_balancers: { value: ['lb-1'], type: ['tuple', ['string']] },
        token: { value: 'secret', type: 'string', sensitive: true },
      },
    };
    expect(outputsFromState(Buffer.from(JSON.stringify(state)))).toEqual({
      load_balancers: ['lb-1'],
      token: '(sensitive)',
    });
    expect(outputsFromState('not json')).toBeNull();
    expect(outputsFromState('{"version": 4}')).toBeNull();
  });
});
