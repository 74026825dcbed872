"""Tidemark's benchmarks: ``python -m benchmarks [--quick] [--json]`` runs them all."""
