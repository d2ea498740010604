-- Console sign-in: a TOTP second factor (sealed with the node's secret
-- box, never in clear) and the lockout after repeated failures.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
