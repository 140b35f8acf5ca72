"""The pure invoicing domain: periods, prices, invoice lines and invoice states (no I/O)."""
