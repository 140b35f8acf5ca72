"""The service layer: one handler per event or command."""
