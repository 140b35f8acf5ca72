"""The letters service: accepts, holds, releases and dispatches letters from its copy of service statuses."""
