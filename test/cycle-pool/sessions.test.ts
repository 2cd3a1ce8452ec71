// contract/sessions.test.ts with the cycle pool on (see again-with-pool.ts).
import { againWithPool } from './again-with-pool.js';

await againWithPool(() => import('../contract/sessions.test.js'));
