"""Area tables (2014 waiting list, Bengkulu 2022) read by the synthetic dataset generator."""
