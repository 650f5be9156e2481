import { startService } from '@elcorp/kit';
import { paymentsService } from './service.js';

startService(paymentsService);
