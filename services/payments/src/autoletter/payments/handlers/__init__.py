"""The service layer: one function per command or event; each runs inside the caller's transaction."""
