"""Command line: ``python3 tests/emulator/run.py --help``."""

import argparse
import ipaddress
import logging
import shutil
import os
import signal
import subprocess
import sys
import tempfile

from . import fleet as fleets
from .actions import REGION_NAMES
from .backends import Backend, SshdBackend
from .emulator import Emulator
from .server import Server, self_signed_context


def _parser():
    parser = argparse.ArgumentParser(description='Tencent Cloud Lighthouse API emulator (loopback only).')
    parser.add_argument('--host', default='127.0.0.1', help='loopback address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0, help='port; 0 picks a free one (default)')
    parser.add_argument('--fleet', help='fleet file (JSON, or YAML when PyYAML is installed)')
    parser.add_argument('--instances', type=int, help='seed N RUNNING instances lh-0001... (overrides the fleet\'s "instances")')
    parser.add_argument('--region', default='ap-guangzhou', choices=REGION_NAMES, help='default region of seeded instances')
    parser.add_argument('--secret-id', default=fleets.DEFAULT_SECRET_ID, help='SecretId accepted besides the fleet\'s credentials')
    parser.add_argument('--secret-key', default=fleets.DEFAULT_SECRET_KEY, help='SecretKey of --secret-id')
    parser.add_argument('--time-scale', type=float, help='multiply every duration by this factor (overrides the fleet)')
    parser.add_argument('--tls', action='store_true', help='serve HTTPS with a generated self-signed certificate')
    parser.add_argument('--backend', choices=('null', 'sshd'), default='null', help='what an instance is (default null)')
    parser.add_argument('--backend-dir', help='working directory of the sshd backend, created if missing (required with --backend sshd)')
    return parser


def _backend(args):
    """The backend the command line asks for; raises ValueError naming a bad --backend/--backend-dir."""
    if args.backend != 'sshd':
        if args.backend_dir:
            raise ValueError('--backend-dir %s is for --backend sshd only' % args.backend_dir)
        return Backend()
    if not args.backend_dir:
        raise ValueError('--backend sshd needs --backend-dir DIR (a directory for keys, disks and sshd files)')
    try:
        os.makedirs(args.backend_dir, exist_ok=True)
    except OSError as error:
        raise ValueError('cannot create --backend-dir %s: %s' % (args.backend_dir, error.strerror or error)) from error
    return SshdBackend(args.backend_dir)


def _stop(signum, frame):
    raise SystemExit(0)


def main(argv=None):
    args = _parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
    try:
        is_loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        sys.exit('refusing to listen on %s: the emulator listens on loopback addresses only' % args.host)
    try:
        fleet = fleets.load(args.fleet) if args.fleet else {}
        if args.instances is not None:
            fleet['instances'] = args.instances
        if args.time_scale is not None:
            fleet['time_scale'] = args.time_scale
        backend = _backend(args)
    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as error:
        sys.exit('cannot start: %s' % error)
    tls_dir = tempfile.mkdtemp(prefix='lighthouse-emulator-tls-') if args.tls else None
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        emulator = Emulator(fleet, args.region, args.secret_id, args.secret_key, backend)
        context, cert = self_signed_context(tls_dir) if tls_dir else (None, None)
        server = Server((args.host, args.port), emulator, context)
        url = '%s://%s:%d' % ('https' if tls_dir else 'http', args.host, server.server_address[1])
        emulator.server_info.update(url=url, tls_cert=cert)
        print('LISTENING ' + url, flush=True)
        server.serve_forever()
    except (OSError, ValueError, RuntimeError) as error:
        sys.exit('cannot start: %s' % error)
    finally:
        backend.shutdown()
        if tls_dir:
            shutil.rmtree(tls_dir, ignore_errors=True)
