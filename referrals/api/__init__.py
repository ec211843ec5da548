"""The partner API: police and health systems submit concerns and read what became of
them. Its own data (API clients, hashed tokens, idempotency keys, submitted concerns, webhook
events) lives in the `partner_api` app; concerns themselves are ordinary referrals, recorded by
`referrals.services.intake.referral_receive` like every other."""
