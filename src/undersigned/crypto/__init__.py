"""Cryptography for undersigned: plain Python, no Django imports.

Everything here is checked against published test vectors in tests/crypto/.
"""
