"""Imports every API resource module so its routes land on the blueprint."""
