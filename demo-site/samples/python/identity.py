#!/usr/bin/env python3
"""Identity token for the chat widget: Python 3.8+ sample.

Needs one package, `cryptography` (pip install cryptography); the rest is the standard library.
Run it on YOUR SERVER only: the site key must never reach a browser.

    python3 identity.py KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
    python3 identity.py --v2 --site SITE_ID [--ttl 600] KEY_B64 '{"full_name":"张三","phone":"15912345678"}'

The first form prints a compat token (AES/ECB/PKCS5Padding, uppercase hex); the second a v2
token ("v2." + base64url(nonce || AES-256-GCM ciphertext || tag)), which needs a 32-byte key.
"""
import argparse
import base64
import json
import os
import sys
import time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def encrypt_ecb(key_b64: str, payload_json: str) -> str:
    """Compat format: AES/ECB with PKCS#7 padding and the 16, 24 or 32-byte key, uppercase hex."""
    key = base64.b64decode(key_b64.strip())
    padder = padding.PKCS7(128).padder()
    padded = padder.update(payload_json.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (encryptor.update(padded) + encryptor.finalize()).hex().upper()


def encrypt_v2(key_b64: str, payload: dict) -> str:
    """v2 format: "v2." + base64url without padding of (12-byte nonce || ciphertext || 16-byte tag)."""
    key = base64.b64decode(key_b64.strip())
    if len(key) != 32:
        raise ValueError(f"v2 needs a 32-byte site key, this one has {len(key)} bytes")
    nonce = os.urandom(12)  # a fresh random nonce for every token, never reused
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(key).encrypt(nonce, data, None)  # ciphertext || tag
    return "v2." + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def with_claims(payload: dict, site, ttl_seconds: int = 600) -> dict:
    """v2 payloads must carry "aud" (your site id) and "exp" (unix seconds): add them if absent."""
    claims = dict(payload)
    if "aud" not in claims:
        if not site:
            raise ValueError("v2 needs --site SITE_ID")
        claims["aud"] = site
    claims.setdefault("exp", int(time.time()) + ttl_seconds)
    return claims


def main() -> int:
    parser = argparse.ArgumentParser(description="Print an identity token for the chat widget.")
    parser.add_argument("--v2", action="store_true", help="v2 format (AES-256-GCM, 32-byte key)")
    parser.add_argument("--site", help="site id, put in the v2 payload as aud")
    parser.add_argument("--ttl", type=int, default=600, help="v2 lifetime in seconds (exp)")
    parser.add_argument("key_b64")
    parser.add_argument("payload_json")
    args = parser.parse_args()
    try:
        if args.v2:
            print(encrypt_v2(args.key_b64, with_claims(json.loads(args.payload_json), args.site, args.ttl)))
        else:
            print(encrypt_ecb(args.key_b64, args.payload_json))
    except ValueError as e:  # bad base64, bad key length, bad JSON
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
