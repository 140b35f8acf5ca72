"""The pure domain of payments: service status, invoice outcomes, payment methods. No I/O here."""
