"""Instance backends: what an instance is besides its API fields.

The hooks are called (with the emulator's lock held) when the matching asynchronous phase ends,
e.g. ``on_rollback`` when the snapshot rollback finishes.
"""

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time

SSHD = '/usr/sbin/sshd'


class Backend:
    """The ``null`` backend: instances exist only in the API; every hook does nothing."""

    name = 'null'
    public_ip = None  # None: instances get the fake public addresses of the fleet

    def add_disk(self, disk_id):
        pass

    def add_instance(self, instance_id, disk_id, running):
        pass

    def on_stop(self, instance_id):
        pass

    def on_start(self, instance_id):
        pass

    def on_reboot(self, instance_id):
        pass

    def on_snapshot_created(self, snapshot_id, disk_id):
        pass

    def on_rollback(self, snapshot_id, disk_id):
        pass

    def on_snapshot_deleted(self, snapshot_id):
        pass

    def details(self, instance_id):
        """Per-instance facts for /_emulator/state."""
        return {}

    def info(self):
        """Backend-wide facts for /_emulator/state."""
        return {'name': self.name}

    def reset(self):
        """Drop every instance, disk and snapshot (before reseeding)."""

    def shutdown(self):
        """Stop everything the backend runs (at exit)."""


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _process_tree(pid):
    """``pid`` and its descendants (found through /proc), so that stopping also ends open sessions."""
    children = {}
    for entry in os.listdir('/proc') if os.path.isdir('/proc') else []:
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stat:
                parent = int(stat.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


class SshdBackend(Backend):
    """Each instance is an OpenSSH server on its own loopback port; its system disk is a directory.

    Layout of ``directory``: ``id_ed25519`` (client key authorised for the login user),
    ``ssh_host_ed25519_key``, ``disks/<DiskId>/``, ``snapshots/<SnapshotId>/``, ``sshd/<InstanceId>.{conf,log,pid}``.
    """

    name = 'sshd'
    public_ip = '127.0.0.1'

    def __init__(self, directory, sshd=SSHD):
        if not os.path.exists(sshd):
            raise RuntimeError('the sshd backend needs %s (apt-get install openssh-server)' % sshd)
        self.sshd = sshd
        self.dir = os.path.abspath(directory)
        self.private_key = os.path.join(self.dir, 'id_ed25519')
        self.host_key = os.path.join(self.dir, 'ssh_host_ed25519_key')
        self.user = getpass.getuser()
        self._servers = {}
        for path in (self.private_key, self.host_key):
            if not os.path.exists(path):
                subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'lighthouse-emulator', '-f', path], check=True)
        shutil.copyfile(self.private_key + '.pub', os.path.join(self.dir, 'authorized_keys'))
        if os.geteuid() == 0:
            os.makedirs('/run/sshd', exist_ok=True)  # sshd's privilege separation directory
        self.reset()

    def _path(self, *parts):
        return os.path.join(self.dir, *parts)

    def add_disk(self, disk_id):
        os.makedirs(self._path('disks', disk_id))
        with open(self._path('disks', disk_id, 'disk-id'), 'w') as marker:
            marker.write(disk_id + '\n')

    def add_instance(self, instance_id, disk_id, running):
        port = _free_port()
        config = self._path('sshd', instance_id + '.conf')
        with open(config, 'w') as handle:
            handle.write('\n'.join([
                'ListenAddress 127.0.0.1:%d' % port,
                'HostKey ' + self.host_key,
                'PidFile ' + self._path('sshd', instance_id + '.pid'),
                'AuthorizedKeysFile ' + self._path('authorized_keys'),
                'PermitRootLogin prohibit-password',
                'PasswordAuthentication no',
                'KbdInteractiveAuthentication no',
                'UsePAM no',
                'StrictModes no',
                'UseDNS no',
                'PrintMotd no',
                'Subsystem sftp internal-sftp',
                'SetEnv LIGHTHOUSE_DISK=%s LIGHTHOUSE_INSTANCE_ID=%s' % (self._path('disks', disk_id), instance_id),
                '',
            ]))
        self._servers[instance_id] = {'port': port, 'config': config, 'disk_id': disk_id, 'process': None}
        if running:
            self.on_start(instance_id)

    def on_stop(self, instance_id):
        server = self._servers[instance_id]
        process, server['process'] = server['process'], None
        if process is None:
            return
        for pid in _process_tree(process.pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def on_start(self, instance_id):
        server = self._servers[instance_id]
        if server['process'] is not None:
            return
        with open(self._path('sshd', instance_id + '.log'), 'ab') as log:
            server['process'] = subprocess.Popen([self.sshd, '-D', '-e', '-f', server['config']],
                                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server['process'].poll() is None:
            try:
                socket.create_connection(('127.0.0.1', server['port']), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError('sshd for %s did not start; see %s' % (instance_id, self._path('sshd', instance_id + '.log')))

    def on_reboot(self, instance_id):
        self.on_stop(instance_id)
        self.on_start(instance_id)

    def on_snapshot_created(self, snapshot_id, disk_id):
        shutil.copytree(self._path('disks', disk_id), self._path('snapshots', snapshot_id), symlinks=True)

    def on_rollback(self, snapshot_id, disk_id):
        shutil.rmtree(self._path('disks', disk_id))
        shutil.copytree(self._path('snapshots', snapshot_id), self._path('disks', disk_id), symlinks=True)

    def on_snapshot_deleted(self, snapshot_id):
        shutil.rmtree(self._path('snapshots', snapshot_id), ignore_errors=True)

    def details(self, instance_id):
        server = self._servers[instance_id]
        return {'ssh_host': '127.0.0.1', 'ssh_port': server['port'], 'ssh_user': self.user,
                'private_key': self.private_key, 'disk_dir': self._path('disks', server['disk_id']),
                'sshd_running': server['process'] is not None}

    def info(self):
        return {'name': self.name, 'dir': self.dir, 'private_key': self.private_key, 'ssh_user': self.user}

    def reset(self):
        self.shutdown()
        self._servers = {}
        for part in ('disks', 'snapshots', 'sshd'):
            shutil.rmtree(self._path(part), ignore_errors=True)
            os.makedirs(self._path(part))

    def shutdown(self):
        for instance_id in self._servers:
            self.on_stop(instance_id)
