"""Sub-commands of the `hajibot` CLI, one module per job."""
