import { startService } from '@elcorp/kit';
import { identityService } from './service.js';

startService(identityService);
