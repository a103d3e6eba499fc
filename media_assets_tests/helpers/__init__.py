"""Helpers shared by the tests: test files import from here or use conftest, never each other."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = 7
