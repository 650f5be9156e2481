import { startService } from '@elcorp/kit';
import { governanceService } from './service.js';

startService(governanceService);
