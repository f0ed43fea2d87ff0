"""Jixiao (绩效): performance management that rests on objective data."""
