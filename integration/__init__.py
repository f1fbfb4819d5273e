"""The Siskohat boundary: wire schema, HTTP client, local mirror, sync, simulator, dataset.

The only package that knows Siskohat's wire names (`kd_porsi`, `ResposeMessage`, ...).
"""
