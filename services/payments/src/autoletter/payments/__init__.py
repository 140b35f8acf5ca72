"""AutoLetter payments: the Stripe customer per account, payment methods, service statuses, webhooks."""
