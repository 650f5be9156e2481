/** The highest limit the gateway's configuration accepts: the limiter is on the path, never refusing. */
const unlimited = '1000000';

/**
 * A bench gateway's routes and limits: every upstream is identity (the only one called), and
 * the rate limiter runs on every request without ever refusing one.
 */
export function benchGatewayEnv(identityUrl: string): Record<string, string> {
  return {
    IDENTITY_URL: identityUrl,
    PAYMENTS_URL: identityUrl,
    GOVERNANCE_URL: identityUrl,
    COMPLIANCE_URL: identityUrl,
    RATE_LIMIT_PER_IP_PER_MINUTE: unlimited,
    RATE_LIMIT_PER_USER_PER_MINUTE: unlimited,
    RATE_LIMIT_LOGIN_PER_HOUR: unlimited,
  };
}
