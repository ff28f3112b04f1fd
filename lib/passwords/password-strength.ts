// The rule for new passwords, in one place for the API (which decides: sign-up and password change
// refuse what this refuses) and the dashboard's strength meter (which only informs, as the user types).
//
// zxcvbn-ts, with its common-password and English dictionaries, estimates how many guesses a password
// takes. A password must score 3 of 4 or more (3: about 10^8 guesses, out of reach of online guessing
// under our login throttle), may not contain the account's email address or the name before its @, and
// keeps the length limits (10 to 256 characters).
//
// The dictionaries cost about 0.2 s of CPU and 25 MB of heap to load in Node (0.85 MB gzipped in a
// browser), so they load on first use, once per process or page (loadPasswordEstimator).
import type { ZxcvbnResult } from '@zxcvbn-ts/core';

export const MIN_PASSWORD_LENGTH = 10;
/** Longer inputs are rejected at the edge: hashing megabytes per request would be a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;
/** zxcvbn's scale: 0 (under 10^3 guesses) … 3 (under 10^10) … 4 (more). */
export const MIN_PASSWORD_SCORE = 3;
export const PASSWORD_SCORE_LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

export type PasswordScore = 0 | 1 | 2 | 3 | 4;
export type PasswordScoreLabel = (typeof PASSWORD_SCORE_LABELS)[number];

export interface PasswordStrength {
  /** zxcvbn's score, lowered for a password the rule refuses anyway (so the meter never calls it good). */
  score: PasswordScore;
  label: PasswordScoreLabel;
  isAcceptable: boolean;
  /** Why the password is refused, or how to make it stronger, in plain English; empty when there is nothing to add. */
  feedback: string;
}

/** Judges a new password for the account with this email address. */
export type PasswordEstimator = (password: string, email: string) => PasswordStrength;

/** Words every Linkpulse password is judged against besides the dictionaries (the user's own come with the email). */
const SITE_WORDS = ['linkpulse'];
// zxcvbn's time grows steeply with length and l33t substitutions: 1.8 s for 256 characters of
// "p@$$w0rd" with its defaults, 50 ms with these. Only the first 100 characters are judged, which
// keeps a long passphrase's strength as long as its start is not a repetition.
const JUDGED_LENGTH = 100;
const L33T_MAX_SUBSTITUTIONS = 10;
/** Email parts shorter than this are only refused as the whole password: "al" is in too many words. */
const MIN_CONTAINED_PART = 3;

const normalize = (text: string) => text.normalize('NFKC').toLowerCase();

/** The email address, its local part and that part without a +tag: what a targeted guesser tries first. */
function emailParts(email: string): string[] {
  const address = normalize(email.trim());
  const local = address.slice(0, Math.max(0, address.lastIndexOf('@')));
  const untagged = local.split('+')[0] ?? '';
  return [...new Set([address, local, untagged])].filter((part) => part !== '');
}

function containsEmail(password: string, email: string): boolean {
  const candidate = normalize(password);
  return emailParts(email).some((part) => candidate === part || (part.length >= MIN_CONTAINED_PART && candidate.includes(part)));
}

interface Estimate {
  score: PasswordScore;
  feedback: { warning: string | null; suggestions: string[] };
}

/** The rule on top of zxcvbn's estimate. `anotherWord` is zxcvbn's own advice, for when it gives none. */
export function judgePassword(password: string, email: string, estimate: Estimate, anotherWord: string): PasswordStrength {
  const advice = estimate.feedback.suggestions.length > 0 ? estimate.feedback.suggestions : [anotherWord];
  const judged = (score: PasswordScore, feedback: string[]): PasswordStrength => ({
    score,
    label: PASSWORD_SCORE_LABELS[score],
    isAcceptable: score >= MIN_PASSWORD_SCORE,
    feedback: feedback.join(' '),
  });
  // A password refused for its length shows at most "Fair", whatever zxcvbn thinks of it.
  const capped = () => Math.min(estimate.score, MIN_PASSWORD_SCORE - 1) as PasswordScore;
  if (containsEmail(password, email)) {
    return judged(0, ['Passwords that contain your email address, or the name in it, are among the first an attacker tries.', 'Choose one without it.']);
  }
  if (password.length < MIN_PASSWORD_LENGTH) return judged(capped(), [`Use at least ${MIN_PASSWORD_LENGTH} characters.`]);
  if (password.length > MAX_PASSWORD_LENGTH) return judged(capped(), [`Use at most ${MAX_PASSWORD_LENGTH} characters.`]);
  if (estimate.score < MIN_PASSWORD_SCORE) return judged(estimate.score, [estimate.feedback.warning ?? 'This password would be easy to guess.', ...advice]);
  return judged(estimate.score, estimate.feedback.suggestions);
}

async function createEstimator(): Promise<PasswordEstimator> {
  const [{ ZxcvbnFactory }, common, english] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]);
  const zxcvbn = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    maxLength: JUDGED_LENGTH,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
  });
  return (password, email) => {
    const result: ZxcvbnResult = zxcvbn.check(password, [...emailParts(email), ...SITE_WORDS]);
    return judgePassword(password, email, result, english.translations.suggestions.anotherWord);
  };
}

let loading: Promise<PasswordEstimator> | undefined;

/** The estimator, its dictionaries loaded on the first call (a failed load is tried again on the next). */
export function loadPasswordEstimator(): Promise<PasswordEstimator> {
  loading ??= createEstimator().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
