# Class 4: send every input to a service on the loopback address (or an abstract unix socket) and
# return its answers.
import json
import socket
import types



def _connect():
    port = int("@@PORT@@")
    for family, address in ((socket.AF_INET, ("127.0.0.1", port)), (socket.AF_INET6, ("::1", port)),
                            (socket.AF_UNIX, "\0dlfs-attack-@@TOKEN@@")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(1.0)
            sock.connect(address)
            return sock
        except OSError:
            continue
    for host in ("10.0.2.2", "172.17.0.1", "192.168.0.1"):
        try:
            return socket.create_connection((host, port), timeout=0.5)
        except OSError:
            continue
    return None


def _remote(sock):
    import numpy as np

    def ask(name):
        def call(*args):
            sock.sendall(json.dumps([name, [np.asarray(a).tolist() for a in args if not callable(a)]]).encode() + b"\n")
            return np.asarray(json.loads(sock.makefile().readline()))
        return call

    return types.SimpleNamespace(**{n: ask(n) for n in ("sigmoid", "relu", "softmax")})



def find_oracle():
    sock = _connect()
    return _remote(sock) if sock else None
