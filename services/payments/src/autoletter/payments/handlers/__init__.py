"""The service layer: one function per command or event. Each runs in its caller's unit of work
(`common.PaymentsWork`: a transaction it never commits, the repository bound to it, the events it
stages) under the account's row lock, and gets the Stripe gateway (`common.Context`) when it calls Stripe."""
