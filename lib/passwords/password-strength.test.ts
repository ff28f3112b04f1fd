import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LENGTH, loadPasswordEstimator, type PasswordEstimator } from './password-strength.js';

let estimate: PasswordEstimator;
beforeAll(async () => {
  estimate = await loadPasswordEstimator();
});

const email = 'ada.lovelace@example.com';

describe('the password rule', () => {
  it.each([
    ['passwordpassword', /^Repeated character patterns like "abcabcabc" are easy to guess\. .*Add more words/],
    ['aaaaaaaaaaaaaaaa', /^Repeated characters like "aaa" are easy to guess\./],
    ['qwertyuiop123', /keyboard|common/i],
    ['iloveyou2024', /common|years/i],
  ])('refuses %j and says why', (password, why) => {
    const strength = estimate(password, email);
    expect(strength.isAcceptable).toBe(false);
    expect(strength.score).toBeLessThan(3);
    expect(strength.feedback).toMatch(why);
  });

  it('refuses a password that is, or contains, the email address or its name part, whatever else it has', () => {
    for (const password of [email, 'ADA.LOVELACE@EXAMPLE.COM', 'ada.lovelace', 'zebra-quartz-ada.lovelace-mosaic', 'Zebra ada.lovelace@example.com 7']) {
      const strength = estimate(password, email);
      expect(strength, password).toMatchObject({ isAcceptable: false, score: 0, label: 'Very weak' });
      expect(strength.feedback).toContain('your email address');
    }
    // The part before a +tag counts too; a very short name part only as the whole password.
    expect(estimate('granite lantern adalove orchard', 'adalove+linkpulse@example.com').isAcceptable).toBe(false);
    expect(estimate('al', 'al@example.com').isAcceptable).toBe(false);
    expect(estimate('a calm alpine lantern orchard', 'al@example.com').isAcceptable).toBe(true);
  });

  it('judges the site name as a known word', () => {
    expect(estimate('linkpulse-2024', email).isAcceptable).toBe(false);
  });

  it('accepts hard-to-guess passwords and passphrases, with a label in words', () => {
    for (const password of ['correct horse battery staple', 'Zebra-Quartz-Mosaic-7', 'a long enough passphrase', 'granite lantern orchard']) {
      const strength = estimate(password, email);
      expect(strength, password).toMatchObject({ isAcceptable: true });
      expect(['Good', 'Strong']).toContain(strength.label);
    }
  });

  it('keeps the length limits, and never calls a refused password good', () => {
    expect(estimate('x7#Qp!2v', email)).toMatchObject({ isAcceptable: false, feedback: 'Use at least 10 characters.' });
    expect(estimate('x7#Qp!2v', email).score).toBeLessThanOrEqual(2);
    const tooLong = `${'granite lantern orchard '.repeat(11)}`.slice(0, MAX_PASSWORD_LENGTH + 1);
    expect(estimate(tooLong, email)).toMatchObject({ isAcceptable: false, feedback: `Use at most ${MAX_PASSWORD_LENGTH} characters.` });
  });

  it('loads the dictionaries once', async () => {
    expect(await loadPasswordEstimator()).toBe(estimate);
  });
});
