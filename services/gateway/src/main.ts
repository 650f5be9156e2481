import { startService } from '@elcorp/kit';
import { gatewayService } from './service.js';

startService(gatewayService);
