"""The profile service: name, billing e-mail and postal address of an account, and their completeness."""
