// The login KDF at its production parameters: time per hash, and what concurrent logins cost.
import { createPasswordHasher, DEFAULT_SCRYPT } from '../api/auth/password.js';
import { latencies, rate, report, type Benchmark } from './support/measure.js';

export const passwordsBenchmark: Benchmark = {
  name: 'passwords',
  description: 'the login KDF (scrypt): one verification, 16 concurrent ones, peak memory meanwhile',
  async run() {
    const hasher = createPasswordHasher();
    const stored = await hasher.hash('correct horse battery staple');
    const sequential: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await hasher.verify('correct horse battery staple', stored);
      sequential.push(performance.now() - started);
    }
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 2);
    const concurrent = 16;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrent }, () => hasher.verify('wrong guess', stored)));
    const elapsed = performance.now() - started;
    clearInterval(sampler);
    report(`password hashing (scrypt N=${DEFAULT_SCRYPT.N}, r=${DEFAULT_SCRYPT.r}, p=${DEFAULT_SCRYPT.p})`, {
      'one verification': latencies(sequential),
      [`${concurrent} concurrent verifications`]: `${elapsed.toFixed(0)} ms in total (${rate(concurrent, elapsed)})`,
      'peak RSS growth during them': `${Math.round((rssPeak - rssBefore) / 1024 ** 2)} MiB (sampled every 2 ms)`,
    });
  },
};
