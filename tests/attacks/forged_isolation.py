# Class 12: claim a confinement the submission does not have. json.dumps encodes every reply and is the
# student's to patch, so the code rewrites ``isolation`` in whatever it encodes: the class report must
# still say what the sandbox put in force.
import json

FORGED = "none (forged by the submission)"


def find_oracle():
    original = json.dumps

    def dumps(obj, *args, **kwargs):
        if isinstance(obj, dict) and "isolation" in obj:
            obj = dict(obj, isolation=FORGED)
        return original(obj, *args, **kwargs)

    json.dumps = dumps
    return None
