"""Start the Lighthouse API emulator as a process and talk to its control API: the one launcher of the tests, the
benchmark, the demo, molecule's fleet (tests/utils/emulated_fleet.py) and the integration targets' background emulator.

    import sys; sys.path.insert(0, 'tests/emulator')
    from harness import EmulatorProcess

    with EmulatorProcess(instances=2, time_scale=0.05) as emu:
        client = emu.client()                      # a real SDK LighthouseClient (needs the SDK)
        answer = emu.call('DescribeInstances', {'Limit': 5})  # the "Response" object
        emu.fault('StopInstances', code='InternalError', count=1)
        ...
        assert [e['action'] for e in emu.journal()] == [...]

An emulator that must outlive the command that starts it (molecule's create and destroy steps are separate
ansible-playbook runs) is started ``detached``: in a session of its own, with its files in ``workdir``; whoever stops it
later does so by its ``pid``. ``control(url, ...)`` talks to any running emulator by its URL.

Standard library only, except ``client()`` and ``call()``, which import the Tencent Cloud SDK. (The emulator in-process,
on a manual clock, is lighthouse_emulator/manual.py.)
"""

import json
import os
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


def control(url, path, body=None, method=None, tls=False, timeout=60):
    """Call ``/_emulator/<path>`` of the emulator at ``url`` (GET without a body, POST with one, unless ``method``); returns
    the decoded JSON answer, raises EmulatorError on HTTP errors."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + '/_emulator/' + path, data=data, method=method or ('GET' if body is None else 'POST'),
                                     headers={'Content-Type': 'application/json'})
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise EmulatorError('%s /_emulator/%s: %s %s' % (request.get_method(), path, error.code, error.read().decode()))


class EmulatorProcess:
    """An emulator process on a free loopback port.

    ``fleet`` is a dict (written to a JSON file) or a path to a fleet file; ``args`` are extra command-line arguments.
    Its files (``emulator.out``, its standard output; ``log_path``, its standard error) are in ``workdir``, by default a
    temporary directory that ``stop()`` removes. ``detached``: in a session of its own, so that it outlives this process.
    The object can be started again after ``stop()``.
    """

    def __init__(self, fleet=None, instances=None, region='ap-guangzhou', time_scale=None, tls=False,
                 backend='null', backend_dir=None, secret_id=DEFAULT_SECRET_ID, secret_key=DEFAULT_SECRET_KEY,
                 args=(), startup_timeout=30, workdir=None, detached=False):
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
        self._given_workdir, self._detached = workdir, detached
        self._process = self._workdir = None

    @property
    def pid(self):
        return self._process.pid

    def start(self):
        """Start the process and wait for its ``LISTENING <url>`` line; returns self."""
        self._workdir = self._given_workdir or tempfile.mkdtemp(prefix='lighthouse-emulator-')
        os.makedirs(self._workdir, exist_ok=True)
        self.log_path = os.path.join(self._workdir, 'emulator.log')
        out_path = os.path.join(self._workdir, 'emulator.out')
        fleet = self._fleet
        if isinstance(fleet, dict):
            fleet = os.path.join(self._workdir, 'fleet.json')
            with open(fleet, 'w') as handle:
                json.dump(self._fleet, handle)
        command = list(self._command)
        for flag, value in [('--fleet', fleet)] + self._options:
            if value is not None:
                command += [flag, str(value)]
        # Files, not pipes: a detached emulator outlives whoever would read a pipe.
        with open(out_path, 'w') as out, open(self.log_path, 'a') as log:
            self._process = subprocess.Popen(command, stdout=out, stderr=log, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                             start_new_session=self._detached)
        line = self._listening_line(out_path)
        if not line.startswith('LISTENING '):
            self._process.kill()
            self._process.wait()
            with open(self.log_path) as log:
                output = log.read()
            self.stop()
            raise EmulatorError('the emulator did not start within %s s: %r\n%s' % (self._startup_timeout, line, output))
        self.url = line.split()[1]
        self.endpoint = self.url.split('://', 1)[1]
        return self

    def _listening_line(self, out_path):
        """The first whole line of the emulator's output, once written; empty if none within the startup timeout."""
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline and self._process.poll() is None:
            with open(out_path) as out:
                line = out.readline()
            if line.endswith('\n'):
                return line
            time.sleep(0.05)
        return ''

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
        self._process = None
        if self._given_workdir is None:
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
        """Call ``/_emulator/<path>`` of this emulator (see control())."""
        return control(self.url, path, body, method, self.tls)

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
