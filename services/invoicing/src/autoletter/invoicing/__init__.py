"""AutoLetter invoicing: prices, the usage ledger and the monthly invoices."""
