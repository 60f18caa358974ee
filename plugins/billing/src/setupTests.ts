import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// CI runs these next to the PostgreSQL and backend suites on 2 CPUs: give a
// render time to settle before a findBy/waitFor, or a test, gives up.
configure({ asyncUtilTimeout: 5_000 });
jest.setTimeout(30_000);
