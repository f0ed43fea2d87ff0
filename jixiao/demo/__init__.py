"""The demo companies of the customer articles (seeds 000, 002, 003, 004), built by ``demo_load``."""
