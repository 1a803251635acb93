// The two glob kinds (shared/glob.ts) keep what the hand-written matchers they replaced did:
// resource-address globs where `*` crosses dots, brackets and slashes and everything else is
// literal; path globs whose wildcards stay within one segment.
import { describe, expect, it } from 'vitest';
import { addressGlob, hasGlob, literalPrefix, pathGlob } from '../../../shared/glob.js';

describe('addressGlob', () => {
  it('`*` is any run of characters, dots, brackets, quotes and slashes included', () => {
    const m = addressGlob('module.api.*');
    expect(m('module.api.aws_instance.x["a/b"]')).toBe(true);
    expect(m('module.api.aws_lb_target_group.web[0]')).toBe(true);
    expect(m('module.api.x.y/.hidden')).toBe(true);
    expect(m('module.apix.a')).toBe(false);
    expect(addressGlob('*')('')).toBe(true);
    expect(addressGlob('*.web')('module.a/b.web')).toBe(true);
  });

  it('every other character is literal: brackets, braces, parentheses, !, +, @', () => {
    expect(addressGlob('aws_instance.web[0]')('aws_instance.web[0]')).toBe(true);
    expect(addressGlob('aws_instance.web[0]')('aws_instance.web0')).toBe(false);
    expect(addressGlob('a{b,c}')('a{b,c}')).toBe(true);
    expect(addressGlob('a{b,c}')('ab')).toBe(false);
    expect(addressGlob('!x')('!x')).toBe(true);
    expect(addressGlob('!x')('y')).toBe(false);
    expect(addressGlob('a+(b)')('a+(b)')).toBe(true);
    expect(addressGlob('m.r["k.*"]')('m.r["k.*"]')).toBe(true);
    expect(addressGlob('a.b')('axb')).toBe(false);
  });

  it('`?` is literal unless the caller asks for one-character wildcards', () => {
    expect(addressGlob('cfn:Db?')('cfn:Db1')).toBe(false);
    expect(addressGlob('cfn:Db?')('cfn:Db?')).toBe(true);
    expect(addressGlob('cfn:Db?', { question: true })('cfn:Db1')).toBe(true);
    expect(addressGlob('cfn:Db?', { question: true })('cfn:Db12')).toBe(false);
  });
});

describe('pathGlob', () => {
  it('wildcards stay within one segment; a leading dot is matched (hidden names are the caller s call)', () => {
    const m = pathGlob('envs/*/terraform.tfstate');
    expect(m('envs/prod/terraform.tfstate')).toBe(true);
    expect(m('envs/.old/terraform.tfstate')).toBe(true);
    expect(m('envs/prod/old/terraform.tfstate')).toBe(false);
    expect(pathGlob('e?vs/x')('ebvs/x')).toBe(true);
    expect(pathGlob('e?vs/x')('e/vs/x')).toBe(false);
    expect(pathGlob('a[1]/*.tfstate')('a[1]/x.tfstate')).toBe(true);
    expect(pathGlob('a[1]/*.tfstate')('a1/x.tfstate')).toBe(false);
  });

  it('is a one-argument predicate (safe to pass to Array.filter)', () => {
    expect(['a.tfstate', 'b.json', 'c.tfstate'].filter(pathGlob('*.tfstate'))).toEqual(['a.tfstate', 'c.tfstate']);
  });

  it('hasGlob and literalPrefix', () => {
    expect(hasGlob('envs/*/x')).toBe(true);
    expect(hasGlob('envs/prod/x')).toBe(false);
    expect(literalPrefix('envs/*/terraform.tfstate')).toBe('envs/');
    expect(literalPrefix('plain')).toBe('plain');
  });
});
