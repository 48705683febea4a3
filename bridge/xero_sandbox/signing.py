"""RS256 signing for the sandbox's JWTs, and the JWKS and OpenID discovery that publish it.

Xero signs its tokens with RS256 and publishes the keys through OpenID discovery; OIDC
clients such as authlib verify id_tokens that way, so the sandbox does the same. The key
is made once per process: tokens are checked by database lookup, so a restart only
invalidates id_tokens nobody still needs.
"""
import base64
import hashlib
import json
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Blueprint, jsonify, request

bp = Blueprint("signing", __name__)
_lock = threading.Lock()
_key: rsa.RSAPrivateKey | None = None
KEY_ID = "xero-sandbox-1"


def b64url(data: bytes) -> str:
    """base64url without padding, as in JWTs."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _private_key() -> rsa.RSAPrivateKey:
    """The process's signing key, made on first use."""
    global _key
    with _lock:
        if _key is None:
            _key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _key


def jwt(claims: dict) -> str:
    """A compact RS256 JWS: three base64url parts, verifiable with the published JWKS."""
    header = b64url(json.dumps({"alg": "RS256", "kid": KEY_ID, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = _private_key().sign(f"{header}.{payload}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def at_hash(access_token: str) -> str:
    """OpenID's at_hash: the left half of SHA-256 of the access token, base64url."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def issuer() -> str:
    """The issuer is this sandbox's own base URL (Xero's is https://identity.xero.com)."""
    return request.url_root.rstrip("/")


def _int_bytes(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


@bp.get("/.well-known/openid-configuration")
def discovery():
    """OpenID Connect discovery for the sandbox's identity endpoints."""
    base = issuer()
    return jsonify({
        "issuer": base,
        "authorization_endpoint": f"{base}/identity/connect/authorize",
        "token_endpoint": f"{base}/connect/token",
        "revocation_endpoint": f"{base}/connect/revocation",
        "userinfo_endpoint": f"{base}/connect/userinfo",
        "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
    })


@bp.get("/.well-known/openid-configuration/jwks")
def jwks():
    """The public signing key."""
    numbers = _private_key().public_key().public_numbers()
    return jsonify({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
        "n": b64url(_int_bytes(numbers.n)), "e": b64url(_int_bytes(numbers.e)),
    }]})
