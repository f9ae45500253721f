"""Clients for the outside services we call: WeChat and the mail server."""
