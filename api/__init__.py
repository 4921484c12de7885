"""GoSocial: a social-network REST API whose business rules live in PostgreSQL functions."""

__version__ = "1.0.0"
