"""The `autoletter` command for people: run services or the whole local stack, and operate it."""
