"""Fixtures shared by the attendance tests (areas add theirs here, prefixed by area)."""

from __future__ import annotations
