"""The rules of the platform: plain functions over a Session, no Reflex import."""
