"""A Microsoft Entra double over real HTTPS on loopback, for MSAL: a CA and a server certificate
made in the test (trust it with REQUESTS_CA_BUNDLE=double.ca_file), the tenant's OpenID
discovery and its token endpoint, which answers client credentials with an access token or,
on demand, with Entra's error. Every request is recorded.

    entra = EntraDouble(tmp_path)
    entra.start()
    env[TEAMS_AUTHORITY] = entra.authority     # https://127.0.0.1:PORT/TENANT
    entra.refuse("AADSTS7000215")              # the next token requests are refused
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import itertools
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TENANT = "8d2a1c3e-5b7f-4e21-9c0d-3f6a8b9e1d24"

# Entra's answers to the refusals `narrative-bot check` explains: (status, error, description).
ENTRA_ERRORS = {
    "AADSTS7000215": (
        401,
        "invalid_client",
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.",
    ),
    "AADSTS7000222": (
        401,
        "invalid_client",
        "AADSTS7000222: The provided client secret keys for app are expired.",
    ),
    "AADSTS700016": (
        400,
        "unauthorized_client",
        "AADSTS700016: Application with identifier was not found in the directory.",
    ),
}


@dataclass
class Request:
    method: str
    path: str
    form: dict[str, str]  # the posted form, one value a name


@dataclass
class EntraDouble:
    directory: Path  # where the CA's certificate is written
    tenant: str = TENANT
    requests: list[Request] = field(default_factory=list)
    refusal: str | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ca_file = self.directory / "entra-double-ca.pem"

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert_file, key_file = self._certificates()
        context.load_cert_chain(cert_file, key_file)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        self._loop.run_until_complete(site.start())
        self.port = int(self._runner.addresses[0][1])
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _certificates(self) -> tuple[Path, Path]:
        """A CA (written to `ca_file`) and a certificate for 127.0.0.1 that it signed."""
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Entra double test CA")])
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_file = self.directory / "entra-double-cert.pem"
        key_file = self.directory / "entra-double-key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file

    # --- what tests set and read ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant}"

    def refuse(self, code: str) -> None:
        """Token requests are answered with Entra's error `code` (a key of ENTRA_ERRORS)."""
        assert code in ENTRA_ERRORS, code
        self.refusal = code

    def paths(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(r.method, r.path) for r in self.requests]

    def token_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    # --- Entra ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()} if raw else {}
        with self._lock:
            self.requests.append(Request(request.method, request.path, form))
        parts = request.path.strip("/").split("/")
        tenant, rest = parts[0], parts[1:]
        if tenant != self.tenant:
            return web.json_response(
                _error("invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found."),
                status=400,
            )
        if request.method == "GET" and rest == ["v2.0", ".well-known", "openid-configuration"]:
            return web.json_response(self._openid_configuration())
        if request.method == "POST" and rest == ["oauth2", "v2.0", "token"]:
            return self._token(form)
        return web.json_response({"error": "not_found"}, status=404)

    def _openid_configuration(self) -> dict[str, Any]:
        root = self.authority
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "token"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        }

    def _token(self, form: dict[str, str]) -> web.Response:
        if form.get("grant_type") != "client_credentials":
            return web.json_response(
                _error("unsupported_grant_type", "AADSTS70003: unsupported grant."),
                status=400,
            )
        if self.refusal is not None:
            status, error, description = ENTRA_ERRORS[self.refusal]
            return web.json_response(_error(error, description), status=status)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": f"entra-double-token-{next(self._tokens)}",
            }
        )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signing,
        crl_sign=signing,
        encipher_only=False,
        decipher_only=False,
    )


def _error(error: str, description: str) -> dict[str, Any]:
    """Entra's error JSON."""
    code = int(description.split(":")[0].removeprefix("AADSTS"))
    return {
        "error": error,
        "error_description": f"{description}\r\nTrace ID: 0\r\nCorrelation ID: 0",
        "error_codes": [code],
        "timestamp": "2026-01-01 00:00:00Z",
        "trace_id": "00000000-0000-0000-0000-000000000000",
        "correlation_id": "00000000-0000-0000-0000-000000000000",
    }
