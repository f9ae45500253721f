"""Blocks (版块), categories and addresses."""
