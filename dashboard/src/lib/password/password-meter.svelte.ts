// The password strength meter's state. The estimator is lib/passwords' rule, the one the API applies
// at sign-up and password change, so the meter and the server never disagree. Its dictionaries (about
// 0.85 MB gzipped) load when the password field is first focused, not with the page. The meter only
// informs: the form submits whatever it says, and the server decides.
import { loadPasswordEstimator, type PasswordEstimator, type PasswordStrength } from '../../../../lib/passwords/password-strength.js';

/** How long typing must pause before the verdict (and what screen readers announce) changes. */
const SETTLE_MS = 250;

export class PasswordMeter {
  status: 'idle' | 'loading' | 'ready' | 'failed' = $state('idle');
  /** The verdict on the password as last settled; undefined while it is empty or the estimator is not there. */
  strength: PasswordStrength | undefined = $state();
  #estimator: PasswordEstimator | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts loading the estimator (once; again after a failure). */
  load(): void {
    if (this.status === 'loading' || this.status === 'ready') return;
    this.status = 'loading';
    loadPasswordEstimator().then(
      (estimator) => {
        this.#estimator = estimator;
        this.status = 'ready';
      },
      () => {
        this.status = 'failed';
      },
    );
  }

  /** Judges the password for the account with this email once typing settles. */
  update(password: string, email: string): void {
    clearTimeout(this.#timer);
    if (password === '') {
      this.strength = undefined;
      return;
    }
    const estimator = this.#estimator;
    if (estimator) this.#timer = setTimeout(() => (this.strength = estimator(password, email)), SETTLE_MS);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
