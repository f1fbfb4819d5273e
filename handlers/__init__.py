"""The conversation: one module per feature; parse the update, call a service, render a template, reply."""
