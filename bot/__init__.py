"""Composition root and runtime: settings, CLI, application assembly, web server, channels."""
