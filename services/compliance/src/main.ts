import { startService } from '@elcorp/kit';
import { complianceService } from './service.js';

startService(complianceService);
