-- The last TOTP time step a user signed in with: a code is good once, so
-- one seen over a shoulder or replayed within its 30 seconds is refused.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
