"""Jixiao's benchmarks: ``python -m bench [NAME ...]`` (or ``./dev bench``); results in bench/results/."""
