"""May I pay off this season: the wizard (wizard), what its steps share (common) and the
verification by contact and birth date (verify)."""
