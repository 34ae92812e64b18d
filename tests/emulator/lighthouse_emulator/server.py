"""HTTP(S) front end: the API on ``/`` and the control API under ``/_emulator/``."""

import ipaddress
import json
import os
import ssl
import subprocess
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .emulator import DROP, Request

CONTROL_PREFIX = '/_emulator/'


class Handler(BaseHTTPRequestHandler):
    """One HTTP request; the answer is always JSON with ``Content-Type: application/json`` exactly."""

    server_version = 'LighthouseEmulator/1'

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        emulator = self.server.emulator
        if url.path.startswith(CONTROL_PREFIX):
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                self._send(403, {'error': 'the control API answers loopback clients only'})
                return
            self._send(*emulator.control(self.command, url.path[len(CONTROL_PREFIX):], url.query, body))
        elif url.path == '/' and self.command in ('GET', 'POST'):
            answer = emulator.api(Request(self.command, url.query, self.headers, body))
            if answer is DROP:
                self.close_connection = True
                return
            self._send(200, answer)
        else:
            self._send(404, {'error': 'the API is served on / and the control API under %s' % CONTROL_PREFIX})

    def _send(self, status, payload):
        data = json.dumps(payload).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        """Quiet: the emulator logs API calls itself."""


class Server(ThreadingHTTPServer):
    """A threading HTTP server, optionally wrapping each connection in TLS (in the connection's thread)."""

    daemon_threads = True

    def __init__(self, address, emulator, tls_context=None):
        super().__init__(address, Handler)
        self.emulator = emulator
        self.tls_context = tls_context

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            connection = self.tls_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(connection, client_address)
        finally:
            connection.close()


def self_signed_context(directory):
    """Generate a self-signed certificate for 127.0.0.1 with the openssl CLI; returns (context, cert path)."""
    cert, key = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert
