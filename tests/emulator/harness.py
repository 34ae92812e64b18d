"""Start the Lighthouse API emulator from Python tests and talk to its control API.

    import sys; sys.path.insert(0, 'tests/emulator')
    from harness import Emulator

    with Emulator(instances=2, time_scale=0.05) as emu:
        client = emu.client()                      # a real SDK LighthouseClient (needs the SDK)
        answer = emu.call('DescribeInstances', {'Limit': 5})  # the "Response" object
        emu.fault('StopInstances', code='InternalError', count=1)
        ...
        assert [e['action'] for e in emu.journal()] == [...]

Standard library only, except ``client()`` and ``call()``, which import the Tencent Cloud SDK.
"""

import json
import os
import select
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

RUN_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'run.py')
DEFAULT_SECRET_ID = 'AKIDLIGHTHOUSEEMULATOR'
DEFAULT_SECRET_KEY = 'emulator-secret-key'


class EmulatorError(Exception):
    """The emulator did not start, or a control call failed."""


class Emulator:
    """An emulator subprocess on a free loopback port.

    ``fleet`` is a dict (written to a temporary JSON file) or a path to a fleet file; ``args`` are
    extra command-line arguments. ``log_path`` holds the emulator's stderr while it runs; ``stop()``
    removes it. The object can be started again after ``stop()``.
    """

    def __init__(self, fleet=None, instances=None, region='ap-guangzhou', time_scale=None, tls=False,
                 backend='null', backend_dir=None, secret_id=DEFAULT_SECRET_ID, secret_key=DEFAULT_SECRET_KEY,
                 args=(), startup_timeout=30):
        self.region = region
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.tls = tls
        self.url = self.endpoint = self.log_path = None
        self._fleet = fleet
        self._options = [('--instances', instances), ('--time-scale', time_scale), ('--backend-dir', backend_dir)]
        self._command = [sys.executable, RUN_PY, '--port', '0', '--region', region, '--backend', backend,
                         '--secret-id', secret_id, '--secret-key', secret_key] + (['--tls'] if tls else []) + list(args)
        self._startup_timeout = startup_timeout
        self._process = self._workdir = None

    def start(self):
        """Start the process and wait for its ``LISTENING <url>`` line; returns self."""
        self._workdir = tempfile.mkdtemp(prefix='lighthouse-emulator-')
        self.log_path = os.path.join(self._workdir, 'emulator.log')
        fleet = self._fleet
        if isinstance(fleet, dict):
            fleet = os.path.join(self._workdir, 'fleet.json')
            with open(fleet, 'w') as handle:
                json.dump(self._fleet, handle)
        command = list(self._command)
        for flag, value in [('--fleet', fleet)] + self._options:
            if value is not None:
                command += [flag, str(value)]
        with open(self.log_path, 'ab') as log:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        readable = select.select([self._process.stdout], [], [], self._startup_timeout)[0]
        line = self._process.stdout.readline().decode() if readable else ''
        if not line.startswith('LISTENING '):
            self._process.kill()
            self._process.wait()
            with open(self.log_path) as log:
                output = log.read()
            self.stop()
            raise EmulatorError('the emulator did not start: %r\n%s' % (line, output))
        self.url = line.split()[1]
        self.endpoint = self.url.split('://', 1)[1]
        return self

    def stop(self):
        """Terminate the process (SIGTERM, then SIGKILL after 10 s)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()
        self._process = None
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def port(self):
        return int(self.endpoint.rsplit(':', 1)[1])

    def env(self):
        """Environment variables pointing the collection's modules at this emulator."""
        return {'TENCENTCLOUD_SECRET_ID': self.secret_id, 'TENCENTCLOUD_SECRET_KEY': self.secret_key,
                'TENCENTCLOUD_REGION': self.region, 'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': self.url}

    def client(self, region=None, secret_id=None, secret_key=None, token=None, method='POST', timeout=30, ca_file=None):
        """A real ``LighthouseClient`` for this emulator; with TLS, the certificate is verified only against ``ca_file``."""
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.lighthouse.v20200324 import lighthouse_client

        profile = HttpProfile(endpoint=self.endpoint, protocol='https' if self.tls else 'http', reqMethod=method, reqTimeout=timeout)
        if self.tls:
            profile.certification = ca_file or False
        cred = credential.Credential(secret_id or self.secret_id, secret_key or self.secret_key, token)
        region = self.region if region is None else region
        return lighthouse_client.LighthouseClient(cred, region, ClientProfile(httpProfile=profile))

    def call(self, action, params=None, **client_args):
        """Call ``action`` through the SDK (``client_args`` go to ``client()``); returns ``Response`` without errors.

        API errors raise the SDK's ``TencentCloudSDKException`` (``.code``, ``.message``, ``.requestId``).
        """
        return json.loads(self.client(**client_args).call(action, params or {}))['Response']

    def instance(self, instance_id, **client_args):
        """One instance as DescribeInstances returns it."""
        return self.call('DescribeInstances', {'InstanceIds': [instance_id]}, **client_args)['InstanceSet'][0]

    def snapshot(self, snapshot_id, **client_args):
        """One snapshot as DescribeSnapshots returns it, or None if it does not exist."""
        found = self.call('DescribeSnapshots', {'SnapshotIds': [snapshot_id]}, **client_args)['SnapshotSet']
        return found[0] if found else None

    def wait_fields(self, describe, timeout=30, **expected):
        """Poll ``describe()`` (e.g. ``lambda: emu.instance(i)``) until it has the ``expected`` field values; returns it."""
        def matching():
            found = describe()
            return found if all(found[name] == value for name, value in expected.items()) else None
        return self.wait_for(matching, timeout)

    def wait_settled(self, describe, timeout=30):
        """Poll ``describe()`` until its LatestOperationState is no longer OPERATING; returns it."""
        def settled():
            found = describe()
            return found if found['LatestOperationState'] != 'OPERATING' else None
        return self.wait_for(settled, timeout)

    # ---- control API

    def control(self, method, path, body=None):
        """Call ``/_emulator/<path>``; returns the decoded JSON answer, raises EmulatorError on HTTP errors."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + '/_emulator/' + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        context = None
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(request, timeout=60, context=context) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise EmulatorError('%s /_emulator/%s: %s %s' % (method, path, error.code, error.read().decode()))

    def journal(self, since=0):
        """API requests (rejected ones too) with a ``seq`` above ``since``."""
        return self.control('GET', 'journal?since=%d' % since)

    def history(self, since=0):
        """Instance state changes made by operations, with a ``seq`` above ``since``."""
        return self.control('GET', 'history?since=%d' % since)

    def fault(self, action, code=None, count=1, kind=None, message=None, seconds=None, match=None, processed=None):
        """Inject a fault (see README.md); returns it with its ``id``."""
        spec = {'action': action, 'count': count, 'kind': kind or 'error', 'code': code, 'message': message,
                'seconds': seconds, 'match': match, 'processed': processed}
        return self.control('POST', 'faults', {key: value for key, value in spec.items() if value is not None})

    def faults(self):
        """The pending faults."""
        return self.control('GET', 'faults')

    def clear_faults(self):
        return self.control('DELETE', 'faults')

    def reset(self, fleet=None, instances=None):
        """Reseed: the start fleet, another ``fleet`` (dict), or the start fleet with ``instances`` instances."""
        body = {'fleet': fleet} if fleet is not None else {'instances': instances} if instances is not None else None
        return self.control('POST', 'reset', body)

    def state(self):
        """All instances, disks and snapshots (API shapes plus region and backend details), settings, server."""
        return self.control('GET', 'state')

    def settings(self, **changes):
        """Change settings (time_scale, durations, rate_limits, behaviour, snapshot_quota_per_instance); returns them all."""
        return self.control('POST', 'settings', changes) if changes else self.control('GET', 'settings')

    def wait_for(self, predicate, timeout=30, interval=0.1):
        """Poll ``predicate()`` (e.g. a lambda over ``state()``) until it returns a true value; returns that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise EmulatorError('timed out after %s s waiting for %r' % (timeout, predicate))
            time.sleep(interval)
