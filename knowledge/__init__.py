"""Pure domain: FAQ content and matcher, policy data and assessors, estimate arithmetic.

Nothing here imports telegram, sqlalchemy or aiohttp.
"""
